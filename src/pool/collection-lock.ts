/**
 * The collection lock (one job; the contract is lock-api.ts): the KeyRotation
 * object stops new leases while it re-encrypts. Its holder alone may hand the
 * copy its re-encrypted rows (`assertHeldBy`), and the unlock checks the copy
 * against D1's version before it answers.
 */
import { VaultError } from '../errors.ts';
import type { LockStatus } from './lock-api.ts';
import type { PoolStore } from './pool-store.ts';

/** Seconds a refused collector should wait while a rotation holds the lock. */
export const LOCKED_RETRY_AFTER_SECONDS = 30;

export interface CollectionLockHost {
  store: Pick<PoolStore, 'getLock' | 'setLock' | 'clearLock' | 'outstanding'>;
  /** The copy checked against D1, as after a write (copy-sync.ts afterWrite). */
  resync(): Promise<unknown>;
}

export class CollectionLock {
  readonly #host: CollectionLockHost;

  constructor(host: CollectionLockHost) {
    this.#host = host;
  }

  status(now: number): LockStatus {
    const { store } = this.#host;
    const lock = store.getLock();
    const out = store.outstanding(now);
    return {
      locked: lock !== null,
      holder: lock?.holder ?? null,
      since: lock?.since ?? null,
      outstandingLeases: out.count,
      latestLeaseExpiry: out.latestExpiry,
    };
  }

  lock(holder: string, now: number): LockStatus {
    const { store } = this.#host;
    const lock = store.getLock();
    if (lock && lock.holder !== holder) {
      throw new VaultError('CONFLICT', 'Collection is already locked by another holder.', { details: { holder: lock.holder } });
    }
    if (!lock) store.setLock(holder, now);
    return this.status(now);
  }

  /** CONFLICT unless `holder` holds the lock now. */
  assertHeldBy(holder: string): void {
    if (this.#host.store.getLock()?.holder !== holder) {
      throw new VaultError('CONFLICT', 'Only the holder of the collection lock may hand the pool re-encrypted rows.');
    }
  }

  /** Releases the lock if `holder` holds it, then checks the copy against D1 before answering. */
  async unlock(holder: string): Promise<LockStatus> {
    const { store } = this.#host;
    const lock = store.getLock();
    if (lock?.holder === holder) store.clearLock();
    // Also on a replayed unlock (no lock left): the sync of the first one may have failed.
    if (!lock || lock.holder === holder) await this.#host.resync();
    return this.status(Date.now());
  }

  /** 423 COLLECTION_LOCKED while the lock is held. */
  refuseIfLocked(): void {
    const lock = this.#host.store.getLock();
    if (!lock) return;
    throw new VaultError('COLLECTION_LOCKED', 'Collection is paused while the credential key is rotated. Retry shortly.', {
      retryAfter: LOCKED_RETRY_AFTER_SECONDS,
      details: { locked_since: new Date(lock.since).toISOString() },
    });
  }
}
