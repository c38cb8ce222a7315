/**
 * The collection lock contract between the CredentialPool Durable Object
 * (owner of leases) and the KeyRotation Durable Object (its only caller).
 * There is one pool object, named POOL_OBJECT_NAME.
 */
import type { Env } from '../env.ts';
import type { CipherRewrite } from '../credentials/cipher-rewrite.ts';

export const POOL_OBJECT_NAME = 'credential-pool';

export interface LockStatus {
  locked: boolean;
  holder: string | null;
  /** Unix ms when the lock was taken, or null. */
  since: number | null;
  /** Leases not yet released and not past their TTL. */
  outstandingLeases: number;
  /** Unix ms when the last outstanding lease runs out at the latest (absent a renew), or null. Additive. */
  latestLeaseExpiry: number | null;
}

export interface PoolLockApi {
  /** Stops new leases; idempotent for the same holder; CONFLICT if another holder has it. */
  lock(holder: string): Promise<LockStatus>;
  /**
   * Releases the lock if `holder` holds it (a no-op otherwise), after the copy
   * has checked D1's version: the rotation changes that version before it
   * unlocks only when the copy may have missed a batch (copyRotated).
   */
  unlock(holder: string): Promise<LockStatus>;
  /**
   * The lock holder's re-encrypted rows, committed in D1: the copy applies
   * them compare-and-set too, so it needs no re-read after the rotation. True
   * when the copy now holds them as D1 does (or was never read, so holds
   * nothing stale); false when any row did not match (the copy may have missed
   * an earlier batch). CONFLICT when `holder` does not hold the lock.
   */
  copyRotated(holder: string, batch: CipherRewrite): Promise<boolean>;
  lockStatus(): Promise<LockStatus>;
}

/** Resolves the one pool object (src code reaches it through pool/client.ts `pool`, which wraps this). */
export function poolStub(env: Pick<Env, 'POOL'>) {
  return env.POOL.get(env.POOL.idFromName(POOL_OBJECT_NAME));
}
