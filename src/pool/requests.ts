/**
 * The pool's four requests (acquire, renew, release, report-error) and its
 * answers, as schemas: the REST routes and the RPC entrypoint both parse with
 * `poolInput`, so both accept exactly the same inputs and hand the pool
 * object the same PoolInput, and the OpenAPI document shows them. Unknown keys are refused (a typo such
 * as `ttl_second` is a 422, not a silently ignored setting).
 *
 * @example
 *   pool(env).acquire(poolInput(AcquireBody, body), { apiKey });
 */
import * as v from 'valibot';
import { PLATFORMS, PLATFORM_IDS, TIERS, type PlatformId } from '../arenas/registry.ts';
import { intRange, IsoTimestamp, singleLine, strict } from '../schema/types.ts';
import { parseWith } from '../schema/validate.ts';
import { validationError } from '../schema/problems.ts';
import { VaultError } from '../errors.ts';
import { ERROR_KINDS, MAX_LEASE_TTL_SECONDS, MAX_RETRY_AFTER_SECONDS, MIN_LEASE_TTL_SECONDS } from './lease-rules.ts';
import type { ErrorReportResult, Lease, LeaseEnd, LeaseRenewal } from './types.ts';

const MAX_UNITS = 1_000_000_000;

const LeaseId = v.pipe(v.string(), v.regex(/^lease_[A-Za-z0-9_-]{22}$/, 'must be a lease id returned by acquire'));
const Ttl = v.optional(intRange(MIN_LEASE_TTL_SECONDS, MAX_LEASE_TTL_SECONDS));
const Units = v.optional(intRange(0, MAX_UNITS));

export const AcquireBody = v.pipe(
  strict({
    platform: v.picklist(PLATFORM_IDS, 'must be a platform from the arena registry'),
    tier: v.picklist(TIERS),
    task_id: singleLine(200),
    ttl_seconds: Ttl,
  }),
  v.forward(
    v.check(
      (o) => PLATFORMS[o.platform as PlatformId].tiers.includes(o.tier),
      (issue) => {
        const o = issue.input as { platform: PlatformId; tier: string };
        return `${o.platform} has no ${o.tier} tier (it has ${PLATFORMS[o.platform].tiers.join(', ')})`;
      },
    ),
    ['tier'],
  ),
);

export const RenewBody = strict({ lease_id: LeaseId, ttl_seconds: Ttl });

export const ReleaseBody = strict({ lease_id: LeaseId, units_used: Units });

export const ReportErrorBody = strict({
  lease_id: LeaseId,
  kind: v.picklist(ERROR_KINDS),
  retry_after: v.optional(
    v.pipe(
      v.number(`must be a number of seconds above 0 and at most ${MAX_RETRY_AFTER_SECONDS}`),
      v.gtValue(0, `must be a number of seconds above 0 and at most ${MAX_RETRY_AFTER_SECONDS}`),
      v.maxValue(MAX_RETRY_AFTER_SECONDS, `must be a number of seconds above 0 and at most ${MAX_RETRY_AFTER_SECONDS}`),
    ),
  ),
  units_used: Units,
});

/**
 * A request as it reaches the pool object: parsed, or the problem that
 * refused it (400 INVALID_JSON, 422 VALIDATION_FAILED). The object judges the
 * caller's key FIRST and only then throws the problem, so an unknown key gets
 * its 401 in the same one call (pool/routes.ts, pool/entrypoint.ts).
 * Plain data: it crosses the RPC boundary.
 */
export type PoolInput<T> = { ok: true; value: T } | { ok: false; problem: InputProblem };

export interface InputProblem {
  code: 'INVALID_JSON' | 'VALIDATION_FAILED';
  message: string;
  details?: Record<string, unknown>;
}

/** `raw` parsed with one of the schemas above (a VaultError that says the body is no JSON object becomes its problem). */
export function poolInput<S extends v.GenericSchema>(schema: S, raw: unknown): PoolInput<v.InferOutput<S>> {
  const r = parseWith(schema, raw);
  if (r.ok) return { ok: true, value: r.value };
  return problemOf(validationError(r.problems));
}

/** A refusal of the body itself (INVALID_JSON), as a PoolInput. */
export function problemOf(e: VaultError): { ok: false; problem: InputProblem } {
  if (e.code !== 'INVALID_JSON' && e.code !== 'VALIDATION_FAILED') throw e;
  return { ok: false, problem: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } };
}

/** The parsed request, or its problem thrown as the VaultError it was. */
export function inputOrThrow<T>(input: PoolInput<T>): T {
  if (input.ok) return input.value;
  throw new VaultError(input.problem.code, input.problem.message, { details: input.problem.details });
}

export type AcquireRequest = v.InferOutput<typeof AcquireBody>;
export type RenewRequest = v.InferOutput<typeof RenewBody>;
export type ReleaseRequest = v.InferOutput<typeof ReleaseBody>;
export type ReportErrorRequest = v.InferOutput<typeof ReportErrorBody>;



export const LeaseSchema = v.object({
  lease_id: v.string(),
  credential_id: v.number(),
  platform: v.string(),
  tier: v.string(),
  fields: v.record(v.string(), v.string()),
  expires_at: IsoTimestamp,
});

export const RenewedSchema = v.object({ lease_id: v.string(), credential_id: v.number(), expires_at: IsoTimestamp });

export const LeaseEndSchema = v.object({ lease_id: v.string(), credential_id: v.number(), expired: v.boolean() });

export const ErrorReportSchema = v.object({
  ...LeaseEndSchema.entries,
  cooldown_until: IsoTimestamp,
  deactivated: v.boolean(),
});

/**
 * The published types (types.ts, for collectors, no runtime) and these
 * schemas (for validation and the OpenAPI document) describe the same
 * answers: tsc refuses to compile when the two drift apart.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const SCHEMAS_MATCH_PUBLISHED_TYPES: [
  Same<v.InferOutput<typeof LeaseSchema>, Lease>,
  Same<v.InferOutput<typeof RenewedSchema>, LeaseRenewal>,
  Same<v.InferOutput<typeof LeaseEndSchema>, LeaseEnd>,
  Same<v.InferOutput<typeof ErrorReportSchema>, ErrorReportResult>,
] = [true, true, true, true];
