import { env, evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { poolStub } from '../../src/pool/lock-api.ts';
import { reviveVaultError } from '../../src/errors.ts';
import { PoolStore } from '../../src/pool/pool-store.ts';
import { VaultError } from '../../src/errors.ts';

/** Writes a lease into the pool's storage behind its back, then evicts it so the next instance reads it. */
async function plantLease(leaseId: string, expiresAt: number) {
  await runInDurableObject(poolStub(env), (_instance, state) => {
    new PoolStore(state.storage.sql).insertLease({
      leaseId,
      credentialId: 1,
      platform: 'serper',
      tier: 'medium',
      taskId: 't',
      holder: 'test',
      acquiredAt: Date.now(),
      expiresAt,
      dayPeriod: 'd:x',
      monthPeriod: 'm:x',
    });
  });
  await evictDurableObject(poolStub(env));
}

describe('collection lock', () => {
  it('locks for one holder, idempotently, and refuses a second holder with CONFLICT', async () => {
    const pool = poolStub(env);
    const first = await pool.lock('rotation:a');
    expect(first).toMatchObject({ locked: true, holder: 'rotation:a', outstandingLeases: 0 });
    expect(first.since).toBeTypeOf('number');
    const again = await pool.lock('rotation:a');
    expect(again.since).toBe(first.since);

    const err = await pool.lock('rotation:b').then(
      () => null,
      (e: unknown) => reviveVaultError(e),
    );
    expect(err).toBeInstanceOf(VaultError);
    expect((err as VaultError).code).toBe('CONFLICT');
    expect((err as VaultError).status).toBe(409);
    expect((await pool.lockStatus()).holder).toBe('rotation:a');

    // Only the holder unlocks; anyone else is a no-op.
    expect((await pool.unlock('rotation:b')).locked).toBe(true);
    const after = await pool.unlock('rotation:a');
    expect(after).toMatchObject({ locked: false, holder: null, since: null });
    expect((await pool.lock('rotation:b')).holder).toBe('rotation:b');
    await pool.unlock('rotation:b');
  });

  it('reports outstanding leases, and leases past their TTL count as released', async () => {
    const pool = poolStub(env);
    const now = Date.now();
    await plantLease('live-1', now + 60_000);
    await plantLease('live-2', now + 120_000);
    await plantLease('expired', now - 1);
    const status = await pool.lock('rotation:c');
    expect(status.outstandingLeases).toBe(2);
    expect(status.latestLeaseExpiry).toBe(now + 120_000);
    await pool.unlock('rotation:c');
  });

  it('survives eviction: the lock is in durable storage, not memory', async () => {
    const pool = poolStub(env);
    await pool.lock('rotation:d');
    await evictDurableObject(pool);
    const status = await poolStub(env).lockStatus();
    expect(status).toMatchObject({ locked: true, holder: 'rotation:d' });
    await poolStub(env).unlock('rotation:d');
    expect((await poolStub(env).lockStatus()).locked).toBe(false);
  });
});
