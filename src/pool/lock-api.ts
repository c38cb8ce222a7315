/**
 * The collection lock contract between the CredentialPool Durable Object
 * (owner of leases) and the KeyRotation Durable Object (its only caller).
 * There is one pool object, named POOL_OBJECT_NAME.
 */
import type { Env } from '../env.ts';
import { ERROR_STATUS, VaultError, type ErrorCode } from '../errors.ts';

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
export function poolStub(env: Pick<Env, 'POOL'>): DurableObjectStub & PoolLockApi {
  return env.POOL.get(env.POOL.idFromName(POOL_OBJECT_NAME)) as unknown as DurableObjectStub & PoolLockApi;
}

/**
 * Errors thrown inside the pool object cross the RPC boundary as plain
 * `Error`s that keep their own properties (`code`, `status`, `details`,
 * `retryAfter`: workerd's enhanced error serialization, the default since
 * compatibility date 2026-04-21). This turns one back into a `VaultError`
 * so the HTTP error handler keeps its code and status; anything else is
 * returned unchanged. (Additive to the contract above.)
 */
export function revivePoolError(e: unknown): unknown {
  if (e instanceof VaultError || !(e instanceof Error)) return e;
  const p = e as Error & { code?: unknown; status?: unknown; details?: unknown; retryAfter?: unknown };
  if (typeof p.code !== 'string' || !(p.code in ERROR_STATUS)) return e;
  return new VaultError(p.code as ErrorCode, e.message, {
    status: typeof p.status === 'number' ? p.status : undefined,
    details: p.details && typeof p.details === 'object' ? (p.details as Record<string, unknown>) : undefined,
    retryAfter: typeof p.retryAfter === 'number' ? p.retryAfter : undefined,
  });
}
