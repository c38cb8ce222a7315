import { env, SELF } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { poolStub } from '../../src/pool/lock-api.ts';
import { createTestUser } from '../support/auth.ts';
import { flushPoolUsage, resetPool, apiKeyHeaders, post, seedCredential, type ErrorBody } from './support.ts';

interface LeaseBody {
  lease_id: string;
  credential_id: number;
  fields: Record<string, string>;
  expires_at: string;
}

let collector: Record<string, string>;
const T0 = Date.UTC(2026, 10, 28, 10, 0, 0);

beforeEach(async () => {
  await env.DB.prepare('DELETE FROM api_credentials').run();
  await resetPool();
  collector = await apiKeyHeaders('collector');
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(T0);
});
afterEach(() => {
  vi.useRealTimers();
});

const at = (ms: number) => vi.setSystemTime(T0 + ms);
const MIN = 60_000;

async function acquire(platform = 'reddit', tier = 'free', extra: Record<string, unknown> = {}) {
  return post('/api/pool/acquire', collector, { platform, tier, task_id: 'lifecycle', ...extra });
}
async function lease(platform = 'reddit', tier = 'free', extra: Record<string, unknown> = {}): Promise<LeaseBody> {
  const r = await acquire(platform, tier, extra);
  if (r.status !== 200) throw new Error(`acquire failed: ${r.status} ${await r.text()}`);
  return (await r.json()) as LeaseBody;
}
async function refusal(r: Response) {
  return { status: r.status, retryAfter: r.headers.get('retry-after'), error: ((await r.json()) as ErrorBody).error };
}
const reddit = { client_id: 'cid-1', client_secret: 'CANARY-reddit-secret', user_agent: 'arena-vault-test/1.0' };

describe('cooldowns', () => {
  it('cools a credential down 1, 2, 4 … minutes after consecutive errors, or for retry_after, and a good release ends the streak', async () => {
    const id = await seedCredential({ platform: 'reddit', tier: 'free', fields: reddit });
    const cooldowns: number[] = [];
    let now = 0;
    for (let i = 0; i < 3; i++) {
      const l = await lease();
      const r = await post('/api/pool/report-error', collector, { lease_id: l.lease_id, kind: 'rate_limited' });
      expect(r.status).toBe(200);
      const body = (await r.json()) as { cooldown_until: string; deactivated: boolean; credential_id: number };
      expect(body.credential_id).toBe(id);
      cooldowns.push((Date.parse(body.cooldown_until) - (T0 + now)) / MIN);
      const cooling = await refusal(await acquire());
      expect(cooling.status).toBe(404);
      expect(cooling.error).toMatchObject({ code: 'NO_CREDENTIAL_AVAILABLE', details: { reason: 'all_cooling_down', retry_at: body.cooldown_until } });
      expect(Number(cooling.retryAfter)).toBe(cooldowns[i]! * 60);
      now = Date.parse(body.cooldown_until) - T0;
      at(now);
    }
    expect(cooldowns).toEqual([1, 2, 4]);

    const withHint = await lease();
    const r = await post('/api/pool/report-error', collector, { lease_id: withHint.lease_id, kind: 'quota_exhausted', retry_after: 90 });
    expect(Date.parse(((await r.json()) as { cooldown_until: string }).cooldown_until)).toBe(T0 + now + 90_000);
    now += 90_000;
    at(now);

    const good = await lease();
    expect((await post('/api/pool/release', collector, { lease_id: good.lease_id })).status).toBe(200);
    const next = await lease();
    const after = await post('/api/pool/report-error', collector, { lease_id: next.lease_id, kind: 'other' });
    expect(Date.parse(((await after.json()) as { cooldown_until: string }).cooldown_until)).toBe(T0 + now + MIN); // back to 1 minute
  });

  it('the credential store’s reset-errors clears the pool cooldown at once', async () => {
    const id = await seedCredential({ platform: 'reddit', tier: 'free', fields: reddit });
    const l = await lease();
    await post('/api/pool/report-error', collector, { lease_id: l.lease_id, kind: 'rate_limited', retry_after: 3600 });
    expect((await acquire()).status).toBe(404);
    const admin = await createTestUser('admin');
    const reset = await post(`/api/credentials/${id}/reset-errors`, admin.headers, {});
    expect(reset.status).toBe(200);
    expect((await acquire()).status).toBe(200);
  });
});

describe('auth failures', () => {
  it('deactivates a credential after 3 consecutive auth_failed reports, audits it and counts errors in D1', async () => {
    const id = await seedCredential({ platform: 'reddit', tier: 'free', fields: reddit });
    let now = 0;
    for (let i = 1; i <= 3; i++) {
      const l = await lease();
      const r = await post('/api/pool/report-error', collector, { lease_id: l.lease_id, kind: 'auth_failed' });
      const body = (await r.json()) as { deactivated: boolean; cooldown_until: string };
      expect(body.deactivated).toBe(i === 3);
      now = Date.parse(body.cooldown_until) - T0;
      at(now);
    }
    await flushPoolUsage(); // error counts reach D1 with the pool's coalesced usage
    const row = await env.DB.prepare('SELECT is_active, error_count, last_error_at FROM api_credentials WHERE id = ?')
      .bind(id)
      .first<{ is_active: number; error_count: number; last_error_at: number }>();
    expect(row).toMatchObject({ is_active: 0, error_count: 3 });
    const audit = await env.DB.prepare("SELECT actor, target, detail FROM audit_events WHERE action = 'credential.deactivate'").all<{
      actor: string;
      target: string;
      detail: string;
    }>();
    expect(audit.results).toHaveLength(1);
    expect(audit.results[0]).toMatchObject({ actor: 'pool', target: `credential:${id}` });
    expect(audit.results[0]!.detail).not.toContain('CANARY');
    const refused = await refusal(await acquire());
    expect(refused.error.details).toMatchObject({ reason: 'none_configured', configured: 1, active: 0 });
    // Health shows it: the tier has a credential, none active.
    const health = (await (await SELF.fetch('https://vault.test/api/arenas/health')).json()) as {
      arenas: { arena: string; tier: string; status: string; credentials: Record<string, number> }[];
    };
    expect(health.arenas.find((a) => a.arena === 'reddit' && a.tier === 'free')).toMatchObject({ status: 'error', credentials: { total: 1, active: 0 } });
  });

  it('does not deactivate when another outcome breaks the streak', async () => {
    const id = await seedCredential({ platform: 'reddit', tier: 'free', fields: reddit });
    let now = 0;
    for (const kind of ['auth_failed', 'auth_failed', 'rate_limited', 'auth_failed']) {
      const l = await lease();
      const r = await post('/api/pool/report-error', collector, { lease_id: l.lease_id, kind });
      now = Date.parse(((await r.json()) as { cooldown_until: string }).cooldown_until) - T0;
      at(now);
    }
    const row = await env.DB.prepare('SELECT is_active FROM api_credentials WHERE id = ?').bind(id).first<{ is_active: number }>();
    expect(row!.is_active).toBe(1);
  });
});

describe('quotas', () => {
  it('counts acquires per UTC day and reported units per month, and resets the daily count at midnight UTC', async () => {
    await seedCredential({ platform: 'youtube', tier: 'free', fields: { api_key: 'yt-quota-0000001' }, dailyQuota: 2, monthlyQuota: 10 });
    for (let i = 0; i < 2; i++) {
      const l = await lease('youtube');
      await post('/api/pool/release', collector, { lease_id: l.lease_id });
    }
    const spent = await refusal(await acquire('youtube'));
    expect(spent.error.details).toMatchObject({ reason: 'quota_exhausted', retry_at: '2026-11-29T00:00:00.000Z' });
    expect(Number(spent.retryAfter)).toBe(14 * 3600);

    at(14 * 3600 * 1000); // the next UTC day: the daily count starts again
    const l = await lease('youtube');
    await post('/api/pool/release', collector, { lease_id: l.lease_id, units_used: 7 }); // day 7, month 2 + 7 = 9
    const units = await refusal(await acquire('youtube'));
    expect(units.error.details).toMatchObject({ reason: 'quota_exhausted', retry_at: '2026-11-30T00:00:00.000Z' });

    at((14 + 24) * 3600 * 1000);
    const l2 = await lease('youtube');
    await post('/api/pool/release', collector, { lease_id: l2.lease_id }); // month: 10
    const month = await refusal(await acquire('youtube'));
    expect(month.error.details).toMatchObject({ reason: 'quota_exhausted', retry_at: '2026-12-01T00:00:00.000Z' });
  });
});

describe('lease expiry and renewal', () => {
  it('treats a lease past its TTL as released; renew extends a live one; a late release still ends it', async () => {
    await seedCredential({ platform: 'reddit', tier: 'free', fields: reddit });
    const l = await lease('reddit', 'free', { ttl_seconds: 60 });
    expect(Date.parse(l.expires_at)).toBe(T0 + 60_000);
    expect((await acquire()).status).toBe(404);

    at(30_000);
    const renewed = await post('/api/pool/renew', collector, { lease_id: l.lease_id, ttl_seconds: 120 });
    expect(renewed.status).toBe(200);
    expect(Date.parse(((await renewed.json()) as { expires_at: string }).expires_at)).toBe(T0 + 150_000);
    at(149_000);
    expect((await acquire()).status).toBe(404);

    at(150_000);
    expect((await poolStub(env).lockStatus()).outstandingLeases).toBe(0);
    const expiredRenew = await refusal(await post('/api/pool/renew', collector, { lease_id: l.lease_id }));
    expect(expiredRenew).toMatchObject({ status: 410, error: { code: 'LEASE_EXPIRED' } });
    const second = await lease();
    expect(second.credential_id).toBe(l.credential_id);

    const late = await post('/api/pool/release', collector, { lease_id: l.lease_id });
    expect(late.status).toBe(200);
    expect(((await late.json()) as { expired: boolean }).expired).toBe(true);
    const twice = await post('/api/pool/release', collector, { lease_id: l.lease_id });
    expect(twice.status).toBe(410);
  });

  it('binds a lease to the key that acquired it', async () => {
    await seedCredential({ platform: 'reddit', tier: 'free', fields: reddit });
    const l = await lease();
    const other = await apiKeyHeaders('collector');
    for (const path of ['/api/pool/renew', '/api/pool/release']) {
      expect((await post(path, other, { lease_id: l.lease_id })).status).toBe(410);
    }
    expect((await post('/api/pool/report-error', other, { lease_id: l.lease_id, kind: 'auth_failed' })).status).toBe(410);
    expect((await post('/api/pool/release', collector, { lease_id: l.lease_id })).status).toBe(200);
  });
});

describe('the collection lock', () => {
  it('refuses acquires and renewals with 423 COLLECTION_LOCKED and Retry-After, still takes releases, and serves again after unlock', async () => {
    await seedCredential({ platform: 'reddit', tier: 'free', fields: reddit, maxLeases: 2 });
    const held = await lease();
    const status = await poolStub(env).lock('rotation:test');
    expect(status.outstandingLeases).toBe(1);

    const refused = await refusal(await acquire());
    expect(refused).toMatchObject({ status: 423, retryAfter: '30', error: { code: 'COLLECTION_LOCKED' } });
    const renew = await refusal(await post('/api/pool/renew', collector, { lease_id: held.lease_id }));
    expect(renew.status).toBe(423);
    expect((await post('/api/pool/release', collector, { lease_id: held.lease_id })).status).toBe(200);
    expect((await poolStub(env).lockStatus()).outstandingLeases).toBe(0);

    await poolStub(env).unlock('rotation:test');
    expect((await acquire()).status).toBe(200);
  });
});

describe('PoolEntrypoint (RPC over a service binding)', () => {
  it('has the same semantics as REST: leases, releases, reports and typed errors', async () => {
    const rpc = (exports as unknown as { PoolEntrypoint: import('../../src/pool/entrypoint.ts').PoolEntrypoint }).PoolEntrypoint;
    const id = await seedCredential({ platform: 'bluesky', tier: 'free', fields: { handle: 'a.bsky.social', app_password: 'CANARY-bsky-pass' } });
    const l = await rpc.acquire({ platform: 'bluesky', tier: 'free', task_id: 'rpc-1' });
    expect(l).toMatchObject({ credential_id: id, fields: { handle: 'a.bsky.social', app_password: 'CANARY-bsky-pass' } });

    const busy = await rpc.acquire({ platform: 'bluesky', tier: 'free', task_id: 'rpc-2' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(busy).toMatchObject({ code: 'NO_CREDENTIAL_AVAILABLE', status: 404, details: { reason: 'all_leased' } });

    // A REST collector cannot touch an RPC lease, and vice versa.
    expect((await post('/api/pool/release', collector, { lease_id: l.lease_id })).status).toBe(410);
    expect(await rpc.renew(l.lease_id, { ttl_seconds: 300 })).toMatchObject({ lease_id: l.lease_id });
    const report = await rpc.report_error(l.lease_id, { kind: 'rate_limited', retry_after: 5 });
    expect(report).toMatchObject({ credential_id: id, deactivated: false });
    const bad = await rpc.report_error(l.lease_id, { kind: 'meltdown' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(bad).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'kind' } });

    await poolStub(env).lock('rotation:rpc');
    const locked = await rpc.acquire({ platform: 'bluesky', tier: 'free', task_id: 'rpc-3' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(locked).toMatchObject({ code: 'COLLECTION_LOCKED', status: 423, retryAfter: 30 });
    await poolStub(env).unlock('rotation:rpc');
  });
});
