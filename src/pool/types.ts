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
import type { ErrorKind, LeaseMode, NoCredentialReason } from './lease-rules.ts';

export type { ErrorKind, LeaseMode, NoCredentialReason };

export interface AcquireInput {
  /** A registry platform, e.g. `serper`. */
  platform: string;
  /** One of the platform's tiers: `free`, `medium` or `premium`. */
  tier: string;
  /** A free label kept with the lease: 1–200 printable characters. */
  task_id: string;
  /** 30–3600; default 600. */
  ttl_seconds?: number;
  /** `exclusive` (default) counts against the credential's max_leases; `shared` is never refused for concurrency. */
  mode?: LeaseMode;
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
  /** The mode granted: `exclusive` when the credential's sharing is `never`, whatever was asked. */
  mode: LeaseMode;
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

/** A credential as collectors may see it: metadata, never a field value. */
export interface CredentialMetadata {
  id: number;
  name: string;
  platform: string;
  tier: string;
  active: boolean;
  /** The held token's expiry (ISO 8601, UTC), or null. */
  expires_at: string | null;
  /** When the credential's running cooldown (error or by id) ends, or null. */
  cooldown_until: string | null;
}

export interface CredentialMetadataList {
  credentials: CredentialMetadata[];
}

export interface CooldownResult {
  credential_id: number;
  /** When the credential is usable again (the later of its error cooldown and this one). */
  cooldown_until: string;
}

export interface ExpiresAtResult {
  credential_id: number;
  expires_at: string | null;
}

export interface FieldsUpdated {
  lease_id: string;
  credential_id: number;
  /** ISO 8601, UTC. */
  updated_at: string;
}

/** The pool's operations over a service binding (entrypoint `PoolEntrypoint`); the same as REST (docs/api/pool.md). */
export interface PoolService {
  acquire(input: AcquireInput): Promise<Lease>;
  renew(lease_id: string, opts?: { ttl_seconds?: number }): Promise<LeaseRenewal>;
  release(lease_id: string, opts?: { units_used?: number }): Promise<LeaseEnd>;
  report_error(lease_id: string, opts: ReportErrorInput): Promise<ErrorReportResult>;
  /** Metadata of a platform/tier's credentials, never a field value (GET /api/pool/credentials). */
  credentials(platform: string, tier: string): Promise<CredentialMetadataList>;
  credential(credential_id: number): Promise<CredentialMetadata>;
  /** Only while, or within an hour after, holding a lease on it (else NOT_A_RECENT_HOLDER). */
  cooldown(credential_id: number, opts: { seconds: number; reason: string }): Promise<CooldownResult>;
  clear_cooldown(credential_id: number): Promise<void>;
  /** ISO 8601 (UTC when no offset), or null to clear. */
  set_expires_at(credential_id: number, expires_at: string | null): Promise<ExpiresAtResult>;
  /** The holder of a live lease replaces the credential's complete field set. */
  update_fields(lease_id: string, fields: Record<string, string>): Promise<FieldsUpdated>;
}

/** The codes a pool call can fail with (docs/api/pool.md, "Errors"). */
export type PoolErrorCode =
  | 'NO_CREDENTIAL_AVAILABLE'
  | 'COLLECTION_LOCKED'
  | 'CREDENTIAL_NOT_FOUND'
  | 'NOT_A_RECENT_HOLDER'
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
  /** The REST error's `error.details` object, e.g. `reason`, `retry_at` for NO_CREDENTIAL_AVAILABLE. */
  details?: { reason?: NoCredentialReason; field?: string; [k: string]: unknown };
  /** Seconds to wait before trying again (404 when known, 423 and 503 always). */
  retryAfter?: number;
}
