/**
 * CredentialPool Durable Object (issue 5): the one object (named
 * POOL_OBJECT_NAME) that serialises leases, cooldowns, quota counters and the
 * collection lock. State lives in the object's SQLite storage (pool-store.ts);
 * the rules live in lease-rules.ts.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';
import { VaultError } from '../errors.ts';
import type { LockStatus, PoolLockApi } from './lock-api.ts';
import { PoolStore } from './pool-store.ts';

export class CredentialPool extends DurableObject<Env> implements PoolLockApi {
  readonly #store: PoolStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#store = new PoolStore(ctx.storage.sql);
  }

  #lockStatus(now: number): LockStatus {
    const lock = this.#store.getLock();
    const out = this.#store.outstanding(now);
    return { locked: lock !== null, holder: lock?.holder ?? null, since: lock?.since ?? null, outstandingLeases: out.count, latestLeaseExpiry: out.latestExpiry };
  }

  async lock(holder: string): Promise<LockStatus> {
    const now = Date.now();
    const lock = this.#store.getLock();
    if (lock && lock.holder !== holder) {
      throw new VaultError('CONFLICT', 'Collection is already locked by another holder.', { details: { holder: lock.holder } });
    }
    if (!lock) this.#store.setLock(holder, now);
    return this.#lockStatus(now);
  }

  async unlock(holder: string): Promise<LockStatus> {
    if (this.#store.getLock()?.holder === holder) this.#store.clearLock();
    return this.#lockStatus(Date.now());
  }

  async lockStatus(): Promise<LockStatus> {
    return this.#lockStatus(Date.now());
  }
}
