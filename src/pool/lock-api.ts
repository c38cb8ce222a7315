/**
 * The collection lock contract between the CredentialPool Durable Object
 * (owner of leases) and the KeyRotation Durable Object (its only caller).
 * There is one pool object, named POOL_OBJECT_NAME.
 */
import type { Env } from '../env.ts';

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
  /** Releases the lock if `holder` holds it; a no-op otherwise. */
  unlock(holder: string): Promise<LockStatus>;
  lockStatus(): Promise<LockStatus>;
}

/** Resolves the one pool object (src code reaches it through pool/client.ts `pool`, which wraps this). */
export function poolStub(env: Pick<Env, 'POOL'>) {
  return env.POOL.get(env.POOL.idFromName(POOL_OBJECT_NAME));
}
