/**
 * Issue 21, lease modes over REST: shared leases are never refused for
 * concurrency but count quota and cooldowns; exclusive leases keep
 * max_leases and do not wait for shared holders; sharing `never` makes every
 * lease exclusive; arena health's `leased` counts both kinds.
 */
import { env, SELF } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { createTestUser } from '../support/auth.ts';
import { apiKeyHeaders, post, resetPool, seedCredential, type ErrorBody } from './support.ts';

let collector: Record<string, string>;

beforeEach(async () => {
  await env.DB.prepare('DELETE FROM api_credentials').run();
  await resetPool();
  collector = await apiKeyHeaders('collector');
});

type LeaseBody = { lease_id: string; credential_id: number; mode: string; fields: Record<string, string> };

async function acquire(body: Record<string, unknown> = {}, headers = collector) {
  const res = await post('/api/pool/acquire', headers, { platform: 'serper', tier: 'medium', task_id: 'modes', ...body });
  return { status: res.status, body: (await res.json()) as LeaseBody & ErrorBody };
}

/** An admin changes the credential's sharing (PATCH /api/credentials/:id); the pool follows before the answer. */
async function setSharing(id: number, sharing: 'allowed' | 'never') {
  const admin = await createTestUser('admin');
  const res = await SELF.fetch(`https://vault.test/api/credentials/${id}`, { method: 'PATCH', headers: admin.headers, body: JSON.stringify({ sharing }) });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { sharing: string }).sharing).toBe(sharing);
  const audit = await env.DB.prepare("SELECT detail FROM audit_events WHERE action = 'credential.update' AND target = ? ORDER BY id DESC")
    .bind(`credential:${id}`)
    .first<{ detail: string }>();
  expect(JSON.parse(audit!.detail).changed.sharing).toMatchObject({ to: sharing });
}

describe('lease modes', () => {
  it('grants shared leases beyond max_leases; exclusive keeps its limit and does not wait for shared holders', async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'modes-key-000001' } });
    const shared = await Promise.all(Array.from({ length: 5 }, (_, i) => acquire({ mode: 'shared', task_id: `s${i}` })));
    for (const r of shared) {
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ credential_id: id, mode: 'shared', fields: { api_key: 'modes-key-000001' } });
    }
    // The default is exclusive, and it is granted beside the five shared holders.
    const exclusive = await acquire();
    expect(exclusive.status).toBe(200);
    expect(exclusive.body.mode).toBe('exclusive');
    // A second exclusive lease is over max_leases (1); a shared one still comes.
    const second = await acquire({ mode: 'exclusive' });
    expect(second.status).toBe(404);
    expect(second.body.error).toMatchObject({ code: 'NO_CREDENTIAL_AVAILABLE', details: { reason: 'all_leased', leased: 1 } });
    expect((await acquire({ mode: 'shared' })).status).toBe(200);
    // Releasing the exclusive lease frees the limit for the next exclusive one.
    expect((await post('/api/pool/release', collector, { lease_id: exclusive.body.lease_id })).status).toBe(200);
    expect((await acquire()).status).toBe(200);
  });

  it('under sharing never, a shared acquire is exclusive, and every live lease counts', async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'modes-key-000002' } });
    const before = await acquire({ mode: 'shared' });
    expect(before.body.mode).toBe('shared');
    await setSharing(id, 'never');
    // The shared lease granted before the change now holds the only slot.
    const refused = await acquire({ mode: 'shared' });
    expect(refused.status).toBe(404);
    expect(refused.body.error.details?.reason).toBe('all_leased');
    await post('/api/pool/release', collector, { lease_id: before.body.lease_id });
    const granted = await acquire({ mode: 'shared' });
    expect(granted.status).toBe(200);
    expect(granted.body.mode).toBe('exclusive');
    expect((await acquire({ mode: 'shared' })).body.error.details?.reason).toBe('all_leased');
  });

  it('counts shared leases against quota and honours cooldowns', async () => {
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'modes-key-000003' }, dailyQuota: 2 });
    const a = await acquire({ mode: 'shared' });
    expect((await acquire({ mode: 'shared' })).status).toBe(200);
    const over = await acquire({ mode: 'shared' });
    expect(over.status).toBe(404);
    expect(over.body.error.details?.reason).toBe('quota_exhausted');

    await env.DB.prepare('DELETE FROM api_credentials').run();
    await resetPool();
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'modes-key-000004' } });
    const b = await acquire({ mode: 'shared' });
    expect((await post('/api/pool/report-error', collector, { lease_id: b.body.lease_id, kind: 'rate_limited', retry_after: 600 })).status).toBe(200);
    const cooling = await acquire({ mode: 'shared' });
    expect(cooling.status).toBe(404);
    expect(cooling.body.error.details?.reason).toBe('all_cooling_down');
    expect(a.status).toBe(200);
  });

  it('refuses an unknown mode with 422 naming it', async () => {
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'modes-key-000005' } });
    const r = await acquire({ mode: 'informational' });
    expect(r.status).toBe(422);
    expect(r.body.error.details?.field).toBe('mode');
  });

  it("arena health's leased counts both kinds; a shared lease leaves the credential usable", async () => {
    const admin = await createTestUser('admin');
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'modes-key-000006' } });
    const health = async () => {
      const h = (await (await SELF.fetch('https://vault.test/api/arenas/health', { headers: admin.headers })).json()) as {
        arenas: { arena: string; tier: string; credentials: Record<string, number> }[];
      };
      return h.arenas.find((a) => a.arena === 'google_search' && a.tier === 'medium')!.credentials;
    };
    const shared = await acquire({ mode: 'shared' });
    expect(await health()).toMatchObject({ leased: 1, usable_now: 1 });
    const exclusive = await acquire();
    expect(await health()).toMatchObject({ leased: 1, usable_now: 0 });
    await post('/api/pool/release', collector, { lease_id: exclusive.body.lease_id });
    await post('/api/pool/release', collector, { lease_id: shared.body.lease_id });
    expect(await health()).toMatchObject({ leased: 0, usable_now: 1 });
  });
});
