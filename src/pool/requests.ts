/**
 * Parses and validates the pool's four requests (acquire, renew, release,
 * report-error) from untrusted JSON — the same parser serves REST and the RPC
 * entrypoint, so both accept exactly the same inputs. Pure; throws
 * `VALIDATION_FAILED` (422) naming the field.
 *
 * @example
 *   const req = parseAcquire(await readJsonObject(c)); // {platform, tier, task_id, ttl_seconds?}
 */
import { isSingleLine, SINGLE_LINE_MESSAGE } from '../schema/text.ts';
import { VaultError } from '../errors.ts';
import { PLATFORMS, isPlatformId, isTier, type PlatformId, type Tier } from '../arenas/registry.ts';
import { ERROR_KINDS, MAX_LEASE_TTL_SECONDS, MAX_RETRY_AFTER_SECONDS, MIN_LEASE_TTL_SECONDS, type ErrorKind } from './lease-rules.ts';

export interface AcquireRequest {
  platform: PlatformId;
  tier: Tier;
  task_id: string;
  ttl_seconds?: number;
}
export interface RenewRequest {
  lease_id: string;
  ttl_seconds?: number;
}
export interface ReleaseRequest {
  lease_id: string;
  units_used?: number;
}
export interface ReportErrorRequest {
  lease_id: string;
  kind: ErrorKind;
  retry_after?: number;
  units_used?: number;
}

const LEASE_ID = /^lease_[A-Za-z0-9_-]{22}$/;
const MAX_UNITS = 1_000_000_000;

function invalid(field: string, message: string): VaultError {
  return new VaultError('VALIDATION_FAILED', message, { details: { field } });
}

function asObject(input: unknown): Record<string, unknown> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new VaultError('INVALID_JSON', 'The request body must be a JSON object.');
  }
  return input as Record<string, unknown>;
}

function optionalInt(o: Record<string, unknown>, field: string, min: number, max: number): number | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw invalid(field, `${field} must be a whole number from ${min} to ${max}.`);
  }
  return v;
}

function leaseId(o: Record<string, unknown>): string {
  const v = o.lease_id;
  if (typeof v !== 'string' || !LEASE_ID.test(v)) throw invalid('lease_id', 'lease_id must be a lease id returned by acquire.');
  return v;
}

export function parseAcquire(input: unknown): AcquireRequest {
  const o = asObject(input);
  if (!isPlatformId(o.platform)) throw invalid('platform', 'platform must be a platform from the arena registry.');
  if (!isTier(o.tier)) throw invalid('tier', 'tier must be one of free, medium, premium.');
  if (!PLATFORMS[o.platform].tiers.includes(o.tier)) {
    throw invalid('tier', `${o.platform} has no ${o.tier} tier (it has ${PLATFORMS[o.platform].tiers.join(', ')}).`);
  }
  const task = o.task_id;
  if (typeof task !== 'string' || task.trim().length === 0 || task.length > 200 || !isSingleLine(task)) {
    throw invalid('task_id', `task_id must be a non-empty string of at most 200 characters and ${SINGLE_LINE_MESSAGE}.`);
  }
  const req: AcquireRequest = { platform: o.platform, tier: o.tier, task_id: task };
  const ttl = optionalInt(o, 'ttl_seconds', MIN_LEASE_TTL_SECONDS, MAX_LEASE_TTL_SECONDS);
  if (ttl !== undefined) req.ttl_seconds = ttl;
  return req;
}

export function parseRenew(input: unknown): RenewRequest {
  const o = asObject(input);
  const req: RenewRequest = { lease_id: leaseId(o) };
  const ttl = optionalInt(o, 'ttl_seconds', MIN_LEASE_TTL_SECONDS, MAX_LEASE_TTL_SECONDS);
  if (ttl !== undefined) req.ttl_seconds = ttl;
  return req;
}

export function parseRelease(input: unknown): ReleaseRequest {
  const o = asObject(input);
  const req: ReleaseRequest = { lease_id: leaseId(o) };
  const units = optionalInt(o, 'units_used', 0, MAX_UNITS);
  if (units !== undefined) req.units_used = units;
  return req;
}

export function parseReportError(input: unknown): ReportErrorRequest {
  const o = asObject(input);
  const req = { lease_id: leaseId(o) } as ReportErrorRequest;
  if (typeof o.kind !== 'string' || !(ERROR_KINDS as readonly string[]).includes(o.kind)) {
    throw invalid('kind', `kind must be one of ${ERROR_KINDS.join(', ')}.`);
  }
  req.kind = o.kind as ErrorKind;
  const ra = o.retry_after;
  if (ra !== undefined && ra !== null) {
    if (typeof ra !== 'number' || !Number.isFinite(ra) || ra <= 0 || ra > MAX_RETRY_AFTER_SECONDS) {
      throw invalid('retry_after', `retry_after must be a number of seconds above 0 and at most ${MAX_RETRY_AFTER_SECONDS}.`);
    }
    req.retry_after = ra;
  }
  const units = optionalInt(o, 'units_used', 0, MAX_UNITS);
  if (units !== undefined) req.units_used = units;
  return req;
}
