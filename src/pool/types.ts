/**
 * The published types of the pool for TypeScript collectors: what
 * `PoolEntrypoint` (the RPC class a collector Worker binds) takes, returns and
 * throws. Types only and self-contained but for the pure lease rules, so a
 * collector imports them without the vault's runtime:
 *
 *   import type { PoolService } from 'arena-vault/pool';   // package.json "exports"
 *   interface Env { VAULT_POOL: PoolService }
 *
 * `PoolEntrypoint` implements `PoolService`, so tsc keeps the two in step.
 * The REST routes answer the same objects as JSON (docs/api/pool.md).
 */
import type { ErrorKind, NoCredentialReason } from './lease-rules.ts';

export type { ErrorKind, NoCredentialReason };

export interface AcquireInput {
  /** A registry platform, e.g. `serper`. */
  platform: string;
  /** One of the platform's tiers: `free`, `medium` or `premium`. */
  tier: string;
  /** A free label kept with the lease: 1–200 printable characters. */
  task_id: string;
  /** 30–3600; default 600. */
  ttl_seconds?: number;
}

/** What a collector gets: the only response that carries plaintext credential fields. */
export interface Lease {
  lease_id: string;
  credential_id: number;
  platform: string;
  tier: string;
  fields: Record<string, string>;
  /** ISO 8601, UTC. */
  expires_at: string;
}

export interface LeaseRenewal {
  lease_id: string;
  credential_id: number;
  /** ISO 8601, UTC. */
  expires_at: string;
}

export interface LeaseEnd {
  lease_id: string;
  credential_id: number;
  /** True when the lease had already run past its TTL (it still counts). */
  expired: boolean;
}

export interface ErrorReportResult extends LeaseEnd {
  cooldown_until: string;
  deactivated: boolean;
}

export interface ReportErrorInput {
  kind: ErrorKind;
  /** Seconds the platform asked to wait (above 0, at most 86,400). */
  retry_after?: number;
  units_used?: number;
}

/** The pool's four operations over a service binding (entrypoint `PoolEntrypoint`). */
export interface PoolService {
  acquire(input: AcquireInput): Promise<Lease>;
  renew(lease_id: string, opts?: { ttl_seconds?: number }): Promise<LeaseRenewal>;
  release(lease_id: string, opts?: { units_used?: number }): Promise<LeaseEnd>;
  report_error(lease_id: string, opts: ReportErrorInput): Promise<ErrorReportResult>;
}

/** The codes a pool call can fail with (docs/api/pool.md, "Errors"). */
export type PoolErrorCode =
  | 'NO_CREDENTIAL_AVAILABLE'
  | 'ROTATION_IN_PROGRESS'
  | 'LEASE_EXPIRED'
  | 'VALIDATION_FAILED'
  | 'INVALID_JSON'
  | 'CONFIG_INVALID'
  | 'POOL_UNAVAILABLE'
  | 'INTERNAL';

/**
 * What a failed RPC call throws: an `Error` whose own properties cross the
 * binding (workerd's enhanced error serialization, compatibility date
 * 2026-04-21 or later in the collector Worker).
 */
export interface PoolError extends Error {
  code: PoolErrorCode;
  status: number;
  /** The REST error object's other members, e.g. `reason`, `retry_at` for NO_CREDENTIAL_AVAILABLE. */
  details?: { reason?: NoCredentialReason; field?: string; [k: string]: unknown };
  /** Seconds to wait before trying again (404 when known, 423 and 503 always). */
  retryAfter?: number;
}
