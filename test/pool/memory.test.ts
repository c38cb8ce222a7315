/**
 * What the CredentialPool keeps in memory in front of its SQLite storage
 * (pool-store.ts, copy-store.ts): the lock, the leases, the per-credential
 * state, the quota counters of the periods in use and the working copy are
 * read once per instance, and every write goes to both. So an instance that
 * was evicted — and reads everything again from storage — must see exactly
 * what the evicted one saw; and coalesced usage times must never lose a use.
 */
import { env, evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { poolStub } from '../../src/pool/lock-api.ts';
import { apiKeyHeaders, flushPoolUsage, post, resetPool, seedCredential } from './support.ts';

const pool = () => poolStub(env);
const ACQUIRE = { platform: 'serper', tier: 'medium', task_id: 'memory-test' };

let collector: Record<string, string>;

beforeEach(async () => {
  await env.DB.prepare('DELETE FROM api_credentials').run();
  await resetPool();
  collector = await apiKeyHeaders('collector');
});

async function acquire(): Promise<{ status: number; body: any }> {
  const res = await post('/api/pool/acquire', collector, ACQUIRE);
  return { status: res.status, body: await res.json() };
}

/** Everything the pool answers about its state, as one value. */
async function observed() {
  const p = pool();
  return { snapshot: await p.snapshot(), lock: await p.lockStatus(), pending: await p.pendingUsage() };
}

/** The outbox rows in SQLite itself (not what the instance holds in memory). */
function storedOutbox(): Promise<{ credentials: number; apiKeys: number }> {
  return runInDurableObject(poolStub(env), (_i, state) => ({
    credentials: state.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM outbox_credentials').one().n,
    apiKeys: state.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM outbox_api_keys').one().n,
  }));
}

describe('the pool in memory equals the pool in storage', () => {
  it('after acquire, renew, release with units, an error report and a lock: a fresh instance sees the same state', async () => {
    const a = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-mem-a-0001' }, maxLeases: 2, dailyQuota: 50 });
    const b = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-mem-b-0001' }, maxLeases: 2 });
    const leases = [await acquire(), await acquire(), await acquire()];
    expect(leases.map((l) => l.status)).toEqual([200, 200, 200]);
    expect(new Set(leases.map((l) => l.body.credential_id))).toEqual(new Set([a, b]));
    expect((await post('/api/pool/renew', collector, { lease_id: leases[0]!.body.lease_id, ttl_seconds: 900 })).status).toBe(200);
    expect((await post('/api/pool/release', collector, { lease_id: leases[1]!.body.lease_id, units_used: 7 })).status).toBe(200);
    const reported = await post('/api/pool/report-error', collector, { lease_id: leases[2]!.body.lease_id, kind: 'rate_limited', retry_after: 120 });
    expect(reported.status).toBe(200);
    await pool().lock('rotation:memory-test');

    const before = await observed();
    // The state is not trivial: a live lease, counters, a cooldown and the lock.
    expect(before.lock).toMatchObject({ locked: true, holder: 'rotation:memory-test', outstandingLeases: 1 });
    expect(before.snapshot.credentials.some((c) => c.cooldown_until !== null)).toBe(true);
    expect(before.snapshot.credentials.reduce((n, c) => n + c.used_today, 0)).toBe(9);

    await evictDurableObject(poolStub(env));
    expect(await observed()).toEqual(before);

    await pool().unlock('rotation:memory-test');
  });

  it('a lease released, renewed or reported by another holder is refused in memory as in storage', async () => {
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-mem-c-0001' }, maxLeases: 2 });
    const lease = await acquire();
    const other = await apiKeyHeaders('collector');
    for (const [path, extra] of [
      ['/api/pool/renew', {}],
      ['/api/pool/release', {}],
      ['/api/pool/report-error', { kind: 'other' }],
    ] as const) {
      const res = await post(path, other, { lease_id: lease.body.lease_id, ...extra });
      expect(((await res.json()) as any).error.code, path).toBe('LEASE_EXPIRED');
    }
    await evictDurableObject(poolStub(env));
    // Still the first holder's, and still live.
    expect((await post('/api/pool/release', collector, { lease_id: lease.body.lease_id })).status).toBe(200);
    expect((await pool().lockStatus()).outstandingLeases).toBe(0);
  });
});

describe('coalesced usage times', () => {
  it('the first use after a flush is in the SQLite outbox at once; later ones join it; an eviction loses no use', async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-mem-d-0001' }, maxLeases: 5 });
    await flushPoolUsage();
    const beforeFirst = Date.now();
    expect((await acquire()).status).toBe(200);
    // Stored, not only held in memory: a crash now still writes this use back.
    expect(await storedOutbox()).toEqual({ credentials: 1, apiKeys: 1 });
    const beforeSecond = Date.now();
    expect((await acquire()).status).toBe(200);
    const pending = await pool().pendingUsage();
    expect(pending.credentials).toEqual([expect.objectContaining({ id })]);
    expect(pending.credentials[0]!.usedAt).toBeGreaterThanOrEqual(beforeSecond);
    expect(pending.apiKeys[0]!.usedAt).toBeGreaterThanOrEqual(beforeSecond);

    // A use, then the instance is gone before any flush: the outbox row is still there.
    expect((await acquire()).status).toBe(200);
    await evictDurableObject(poolStub(env));
    expect(await storedOutbox()).toEqual({ credentials: 1, apiKeys: 1 });
    await flushPoolUsage();
    const row = await env.DB.prepare('SELECT last_used_at FROM api_credentials WHERE id = ?').bind(id).first<{ last_used_at: number }>();
    expect(row!.last_used_at).toBeGreaterThanOrEqual(beforeFirst);
    expect(await storedOutbox()).toEqual({ credentials: 0, apiKeys: 0 });
  });
});
