import { env, SELF } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { poolStub } from '../../src/pool/lock-api.ts';
import { createTestUser } from '../support/auth.ts';
import { TEST_CREDENTIAL_KEY_2 } from '../support/keys.ts';
import { flushPoolUsage, resetPool, apiKeyHeaders, keyIdOf, post, seedCredential, type ErrorBody } from './support.ts';
import { TEST_CREDENTIAL_KEY } from '../support/keys.ts';

let collector: Record<string, string>;

beforeEach(async () => {
  await env.DB.prepare('DELETE FROM api_credentials').run();
  await resetPool();
  collector = await apiKeyHeaders('collector');
});
afterEach(() => {
  vi.useRealTimers();
});

async function acquire(body: Record<string, unknown> = {}, headers = collector) {
  return post('/api/pool/acquire', headers, { platform: 'serper', tier: 'medium', task_id: 'task-1', ...body });
}

describe('POST /api/pool/acquire', () => {
  it('leases a credential with its decrypted fields and an expiry 10 minutes out', async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-serper-0001' } });
    const before = Date.now();
    const res = await acquire();
    expect(res.status).toBe(200);
    const lease = (await res.json()) as { lease_id: string; credential_id: number; fields: Record<string, string>; expires_at: string };
    expect(lease.credential_id).toBe(id);
    expect(lease.fields).toEqual({ api_key: 'CANARY-serper-0001' });
    expect(lease.lease_id).toMatch(/^lease_[A-Za-z0-9_-]{22}$/);
    const ttl = Date.parse(lease.expires_at) - before;
    expect(ttl).toBeGreaterThanOrEqual(600_000);
    expect(ttl).toBeLessThan(600_000 + 60_000);
    await flushPoolUsage(); // last_used_at reaches D1 with the pool's coalesced usage
    const row = await env.DB.prepare('SELECT last_used_at FROM api_credentials WHERE id = ?').bind(id).first<{ last_used_at: number }>();
    expect(row!.last_used_at).toBeGreaterThanOrEqual(before);
  });

  it('admits only API keys with the collector or admin scope', async () => {
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-serper-0002' } });
    const none = await acquire({}, { 'content-type': 'application/json' });
    expect(none.status).toBe(401);
    const admin = await createTestUser('admin');
    const bearer = await acquire({}, admin.headers);
    expect(bearer.status).toBe(403);
    expect(await bearer.text()).not.toContain('CANARY');
    const adminKey = await acquire({}, await apiKeyHeaders('admin'));
    expect(adminKey.status).toBe(200);
  });

  it('rejects malformed requests with 400/422 naming the field', async () => {
    const bad = await post('/api/pool/acquire', { ...collector }, 'not json' as unknown);
    expect(bad.status).toBe(400);
    const raw = await fetchRaw('/api/pool/acquire', '{nope');
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as ErrorBody).error.code).toBe('INVALID_JSON');
    for (const [body, field] of [
      [{ platform: 'myspace' }, 'platform'],
      [{ tier: 'gold' }, 'tier'],
      [{ tier: 'free' }, 'tier'], // serper has no free tier
      [{ task_id: '' }, 'task_id'],
      [{ ttl_seconds: 5 }, 'ttl_seconds'],
    ] as const) {
      const r = await acquire(body);
      expect(r.status).toBe(422);
      expect(((await r.json()) as ErrorBody).error.details?.field).toBe(field);
    }
  });

  it('never leases one credential beyond its limit under many parallel acquires', async () => {
    const single = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'k-single-000001' } });
    const double = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'k-double-000002' }, maxLeases: 2 });
    const third = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'k-third-0000003' } });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => acquire({ task_id: `t${i}` })));
    const ok = [];
    for (const r of results) {
      if (r.status === 200) ok.push((await r.json()) as { credential_id: number; lease_id: string });
      else {
        expect(r.status).toBe(404);
        const e = (await r.json()) as ErrorBody;
        expect(e.error.code).toBe('NO_CREDENTIAL_AVAILABLE');
        expect(e.error.details?.reason).toBe('all_leased');
      }
    }
    const per = new Map<number, number>();
    for (const l of ok) per.set(l.credential_id, (per.get(l.credential_id) ?? 0) + 1);
    expect(Object.fromEntries(per)).toEqual({ [single]: 1, [double]: 2, [third]: 1 });
    expect(new Set(ok.map((l) => l.lease_id)).size).toBe(4);
    expect((await poolStub(env).lockStatus()).outstandingLeases).toBeGreaterThanOrEqual(4);

    // Released leases free their credential for the next acquire.
    const lease = ok.find((l) => l.credential_id === single)!;
    expect((await post('/api/pool/release', collector, { lease_id: lease.lease_id })).status).toBe(200);
    const again = await acquire();
    expect(((await again.json()) as { credential_id: number }).credential_id).toBe(single);
  });

  it('hands out the least recently used credential first', async () => {
    const older = await seedCredential({ platform: 'youtube', tier: 'free', fields: { api_key: 'yt-older-000001' }, lastUsedAt: 1000 });
    const newer = await seedCredential({ platform: 'youtube', tier: 'free', fields: { api_key: 'yt-newer-000002' }, lastUsedAt: 2000 });
    const order: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await acquire({ platform: 'youtube', tier: 'free' });
      const l = (await r.json()) as { credential_id: number; lease_id: string };
      order.push(l.credential_id);
      await post('/api/pool/release', collector, { lease_id: l.lease_id });
    }
    expect(order).toEqual([older, newer, older, newer]);
  });

  it('explains an empty pool: none configured, inactive only', async () => {
    const none = await acquire();
    expect(none.status).toBe(404);
    expect(((await none.json()) as ErrorBody).error).toMatchObject({ code: 'NO_CREDENTIAL_AVAILABLE', details: { reason: 'none_configured', configured: 0 } });
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'inactive-000001' }, isActive: false });
    const inactive = await acquire();
    expect(((await inactive.json()) as ErrorBody).error.details).toMatchObject({ reason: 'none_configured', configured: 1, active: 0 });
  });

  it('says key_missing for rows under a key the ring lacks, and skips a row that does not decrypt under its key id', async () => {
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-lost-key-01' }, key: TEST_CREDENTIAL_KEY_2 });
    const missing = await acquire();
    expect(missing.status).toBe(404);
    const text = await missing.text();
    expect(JSON.parse(text).error.details).toMatchObject({ reason: 'key_missing', key_missing: 1 });
    expect(text).not.toContain('CANARY');

    // Encrypted under another key but tagged with the current key id: a wrong-key row.
    const wrong = await seedCredential({
      platform: 'serper',
      tier: 'medium',
      fields: { api_key: 'CANARY-wrong-key-1' },
      key: TEST_CREDENTIAL_KEY_2,
      keyIdOverride: await keyIdOf(TEST_CREDENTIAL_KEY),
      lastUsedAt: 1,
    });
    const undecryptable = await acquire();
    expect(((await undecryptable.json()) as ErrorBody).error.details).toMatchObject({ reason: 'key_missing', key_missing: 1, undecryptable: 1 });
    const good = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'good-key-000001' }, lastUsedAt: 2 });
    const ok = await acquire();
    expect(ok.status).toBe(200);
    const lease = (await ok.json()) as { credential_id: number };
    expect(lease.credential_id).toBe(good);
    expect(lease.credential_id).not.toBe(wrong);
  });

  it('lets a canary secret out only in the acquire response: not in other responses, audit rows or logs', async () => {
    const logged: string[] = [];
    const spies = (['log', 'warn', 'error', 'info'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(' '))),
    );
    try {
      const canary = 'CANARY-9f8e7d6c5b4a';
      await seedCredential({
        platform: 'x_twitter',
        tier: 'premium',
        fields: { bearer_token: `${canary}-b`, api_key: `${canary}-k`, api_secret: `${canary}-s` },
      });
      const first = await acquire({ platform: 'x_twitter', tier: 'premium' });
      const lease = (await first.json()) as { lease_id: string; fields: Record<string, string> };
      expect(lease.fields.api_secret).toBe(`${canary}-s`);
      const others = [
        await acquire({ platform: 'x_twitter', tier: 'premium' }),
        await post('/api/pool/renew', collector, { lease_id: lease.lease_id }),
        await post('/api/pool/report-error', collector, { lease_id: lease.lease_id, kind: 'auth_failed' }),
        await acquire({ platform: 'x_twitter', tier: 'premium' }),
        await post('/api/pool/release', collector, { lease_id: lease.lease_id }),
      ];
      for (const r of others) expect(await r.text()).not.toContain(canary);
      const audit = await env.DB.prepare('SELECT * FROM audit_events').all();
      expect(JSON.stringify(audit.results)).not.toContain(canary);
      expect(logged.join('\n')).not.toContain(canary);
    } finally {
      for (const s of spies) s.mockRestore();
    }
  });
});

function fetchRaw(path: string, body: string) {
  return SELF.fetch(`https://vault.test${path}`, { method: 'POST', headers: collector, body });
}
