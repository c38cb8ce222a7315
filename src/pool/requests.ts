/**
 * The pool's requests (acquire, renew, release, report-error, and issue 21's
 * operations by credential id: metadata, cooldown, expiry, update-fields) and
 * its answers, as schemas: the REST routes and the RPC entrypoint both parse
 * the lease requests with `poolInput`, so both accept exactly the same inputs
 * and hand the pool object the same PoolInput; the operations by id are
 * validated at the edge (REST) or with `parseOrThrow` (RPC). The OpenAPI
 * document shows them. Unknown keys are refused (a typo such
 * as `ttl_second` is a 422, not a silently ignored setting).
 *
 * @example
 *   pool(env).acquire(poolInput(AcquireBody, body), { apiKey });
 */
import * as v from 'valibot';
import { PLATFORMS, PLATFORM_IDS, TIERS, type PlatformId } from '../arenas/registry.ts';
import { parseWith } from '../schema/validate.ts';
import { validationError } from '../schema/problems.ts';
import { VaultError } from '../errors.ts';
import { intRange, isoTime, IsoTimestamp, singleLine, strict } from '../schema/types.ts';
import { ERROR_KINDS, LEASE_MODES, MAX_LEASE_TTL_SECONDS, MAX_RETRY_AFTER_SECONDS, MIN_LEASE_TTL_SECONDS } from './lease-rules.ts';
import type {
  CooldownResult,
  CredentialMetadata,
  CredentialMetadataList,
  ErrorReportResult,
  ExpiresAtResult,
  FieldsUpdated,
  Lease,
  LeaseEnd,
  LeaseRenewal,
} from './types.ts';
import type { Same } from '../kernel/types.ts';

const MAX_UNITS = 1_000_000_000;

const LeaseId = v.pipe(v.string(), v.regex(/^lease_[A-Za-z0-9_-]{22}$/, 'must be a lease id returned by acquire'));
const Ttl = v.optional(intRange(MIN_LEASE_TTL_SECONDS, MAX_LEASE_TTL_SECONDS));
const Units = v.optional(intRange(0, MAX_UNITS));

const Platform = v.picklist(PLATFORM_IDS, 'must be a platform from the arena registry');

/** The tier must be one the platform offers (named with the ones it has). */
function tierOfPlatform<T extends { platform: PlatformId; tier: string }>() {
  return v.forward(
    v.check<T, (issue: v.CheckIssue<T>) => string>(
      (o) => PLATFORMS[o.platform].tiers.includes(o.tier as never),
      (issue) => {
        const o = issue.input as { platform: PlatformId; tier: string };
        return `${o.platform} has no ${o.tier} tier (it has ${PLATFORMS[o.platform].tiers.join(', ')})`;
      },
    ),
    ['tier'] as never,
  );
}

export const AcquireBody = v.pipe(
  strict({
    platform: Platform,
    tier: v.picklist(TIERS),
    task_id: singleLine(200),
    ttl_seconds: Ttl,
    mode: v.optional(
      v.pipe(
        v.picklist(LEASE_MODES),
        v.description('exclusive (default): counts against max_leases; shared: never refused for concurrency (docs/api/pool.md).'),
      ),
      'exclusive',
    ),
  }),
  tierOfPlatform(),
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
/** `GET /api/pool/credentials?platform=&tier=`: both required. */
export const CredentialMetadataQuery = v.pipe(strict({ platform: Platform, tier: v.picklist(TIERS) }), tierOfPlatform());

/** At most a day, as report-error's `retry_after`. */
export const CooldownBody = strict({
  seconds: intRange(1, MAX_RETRY_AFTER_SECONDS),
  reason: singleLine(200),
});

export const ExpiresAtBody = strict({
  expires_at: v.pipe(v.nullable(isoTime(false)), v.description('ISO 8601 (UTC when no offset is given); null clears it. Answered in UTC, to the millisecond.')),
});

export const UpdateFieldsBody = strict({
  lease_id: LeaseId,
  fields: v.pipe(
    v.record(v.string(), v.unknown(), "must be an object with the fields of the credential's platform"),
    v.description("The complete field set of the leased credential's platform, checked against the arena registry."),
  ),
});

/** A credential id given over RPC (REST takes it from the path: IdParams). */
export const CredentialIdInput = strict({
  id: v.pipe(v.number('must be a credential id'), v.safeInteger('must be a credential id'), v.minValue(1, 'must be a credential id')),
});

export type AcquireRequest = v.InferOutput<typeof AcquireBody>;
export type CredentialMetadataRequest = v.InferOutput<typeof CredentialMetadataQuery>;
export type CooldownRequest = v.InferOutput<typeof CooldownBody>;
export type ExpiresAtRequest = v.InferOutput<typeof ExpiresAtBody>;
export type UpdateFieldsRequest = v.InferOutput<typeof UpdateFieldsBody>;
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
  mode: v.picklist(LEASE_MODES),
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
export const CredentialMetadataSchema = v.object({
  id: v.number(),
  name: v.string(),
  platform: v.string(),
  tier: v.string(),
  active: v.boolean(),
  expires_at: v.nullable(IsoTimestamp),
  cooldown_until: v.nullable(IsoTimestamp),
});

export const CredentialMetadataListSchema = v.object({ credentials: v.array(CredentialMetadataSchema) });

export const CooldownSchema = v.object({ credential_id: v.number(), cooldown_until: IsoTimestamp });

export const ExpiresAtSchema = v.object({ credential_id: v.number(), expires_at: v.nullable(IsoTimestamp) });

export const FieldsUpdatedSchema = v.object({ lease_id: v.string(), credential_id: v.number(), updated_at: IsoTimestamp });

export const SCHEMAS_MATCH_PUBLISHED_TYPES: [
  Same<v.InferOutput<typeof LeaseSchema>, Lease>,
  Same<v.InferOutput<typeof RenewedSchema>, LeaseRenewal>,
  Same<v.InferOutput<typeof LeaseEndSchema>, LeaseEnd>,
  Same<v.InferOutput<typeof ErrorReportSchema>, ErrorReportResult>,
  Same<v.InferOutput<typeof CredentialMetadataSchema>, CredentialMetadata>,
  Same<v.InferOutput<typeof CredentialMetadataListSchema>, CredentialMetadataList>,
  Same<v.InferOutput<typeof CooldownSchema>, CooldownResult>,
  Same<v.InferOutput<typeof ExpiresAtSchema>, ExpiresAtResult>,
  Same<v.InferOutput<typeof FieldsUpdatedSchema>, FieldsUpdated>,
] = [true, true, true, true, true, true, true, true, true];
