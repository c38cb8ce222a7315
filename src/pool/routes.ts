/**
 * REST for collectors: POST /api/pool/acquire | renew | release | report-error,
 * and issue 21's operations by credential id: GET /api/pool/credentials[/:id],
 * POST|DELETE /api/pool/credentials/:id/cooldown, PUT
 * /api/pool/credentials/:id/expires-at, POST /api/pool/update-fields
 * (docs/api/pool.md). Only machine API keys with scope `collector` (or
 * `admin`) pass — a browser session or a user's bearer token never receives a
 * plaintext credential. A lease is bound to the key that acquired it.
 *
 * One seam, one call: the key is not looked up in D1 (`authenticate` defers
 * it, auth/middleware.ts isPoolPath). Each handler sends the pool object the
 * key and the request — parsed, or its problem (`poolJson`: an unreadable or
 * invalid body is not refused here) — in ONE call; the object judges the key
 * against its working copy first, so an unknown, revoked or expired key gets
 * its 401 (or 403) before any 400/422, as everywhere else, and no D1 query.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import type * as v from 'valibot';
import { requireCollector } from '../http/guards.ts';
import type { AppEnv } from '../http/types.ts';
import { isVaultError, type ErrorCode } from '../errors.ts';
import type { PoolCaller } from './caller-auth.ts';
import { json, params, query, readJsonBody } from '../schema/validate.ts';
import { attachSpec, describe } from '../schema/spec.ts';
import { IdParams } from '../schema/types.ts';
import { pool } from './client.ts';
import {
  AcquireBody,
  CooldownBody,
  CooldownSchema,
  CredentialMetadataListSchema,
  CredentialMetadataQuery,
  CredentialMetadataSchema,
  ErrorReportSchema,
  ExpiresAtBody,
  ExpiresAtSchema,
  FieldsUpdatedSchema,
  LeaseEndSchema,
  LeaseSchema,
  poolInput,
  problemOf,
  ReleaseBody,
  RenewBody,
  RenewedSchema,
  ReportErrorBody,
  UpdateFieldsBody,
  type PoolInput,
} from './requests.ts';

export const poolRoutes = new Hono<AppEnv>();

poolRoutes.use('/api/pool/*', requireCollector());

/**
 * The JSON body parsed with `schema`, or its problem, as `c.req.valid('json')`:
 * never a refusal here (the object refuses it, after the key). Documented like
 * the `json` validator (schema/validate.ts), so the OpenAPI document shows the body.
 */
function poolJson<S extends v.GenericSchema>(
  schema: S,
): MiddlewareHandler<
  AppEnv,
  string,
  {
    in: { json: v.InferInput<S> };
    out: { json: PoolInput<v.InferOutput<S>> };
  }
> {
  return attachSpec(
    async (c, next) => {
      let input: PoolInput<v.InferOutput<S>>;
      try {
        input = poolInput(schema, await readJsonBody(c));
      } catch (e) {
        if (!isVaultError(e)) throw e;
        input = problemOf(e);
      }
      c.req.addValidatedData('json', input as never);
      await next();
    },
    { kind: 'validator', target: 'json', schema },
  );
}

/*
 * The operations by credential id validate at the edge (json/params/query): a refusal of the
 * request there is replaced by the key's own 401/403, so a bad key never learns about its input.
 */
poolRoutes.use('/api/pool/*', async (c, next) => {
  await next();
  // Hono has already turned a thrown refusal into the response (c.error); a refused key's 401/403 replaces it.
  const e = c.error;
  const key = c.var.poolApiKey;
  // NOT_FOUND: a path id that names nothing (the params validator); the pool's own 404 is CREDENTIAL_NOT_FOUND.
  if (key && isVaultError(e) && (e.code === 'INVALID_JSON' || e.code === 'VALIDATION_FAILED' || e.code === 'NOT_FOUND')) {
    await pool(c.env).authenticate({ apiKey: key });
  }
});

/** Who the pool serves: the deferred `ApiKey` (the only caller that passes requireCollector on these paths). */
function caller(c: Context<AppEnv>): PoolCaller {
  return { apiKey: c.var.poolApiKey! };
}

const TAG = 'pool';
/** Refusals every lease operation may answer besides validation and auth (docs/api/pool.md). */
const LOCKED: ErrorCode = 'COLLECTION_LOCKED';
/** 503 while the pool's copy cannot be confirmed current (acquire and renew; the others only before the copy was ever read). */
const UNAVAILABLE: ErrorCode = 'POOL_UNAVAILABLE';

poolRoutes.post(
  '/api/pool/acquire',
  describe({
    tag: TAG,
    summary: 'Lease a credential for a task',
    description:
      "Answers the decrypted fields under a lease. `mode`: `exclusive` (default) counts against the credential's `max_leases`; `shared` is never refused for concurrency; the answer's `mode` is the one granted (`exclusive` where the credential's sharing is `never`). 404 NO_CREDENTIAL_AVAILABLE (with `reason` and Retry-After) when nothing can be leased; 423 while a rotation holds collection; 503 POOL_UNAVAILABLE (with Retry-After) while the pool cannot confirm its copy of the vault is current.",
    responses: { 200: { description: 'The lease, with the plaintext fields.', schema: LeaseSchema } },
    errors: ['NO_CREDENTIAL_AVAILABLE', LOCKED, UNAVAILABLE, 'KEY_MISSING', 'UNDECRYPTABLE'],
  }),
  poolJson(AcquireBody),
  async (c) => c.json(await pool(c.env).acquire(c.req.valid('json'), caller(c))),
);

poolRoutes.post(
  '/api/pool/renew',
  describe({
    tag: TAG,
    summary: 'Extend a lease',
    responses: { 200: { description: 'The new expiry.', schema: RenewedSchema } },
    errors: ['NOT_FOUND', 'LEASE_EXPIRED', LOCKED, UNAVAILABLE],
  }),
  poolJson(RenewBody),
  async (c) => c.json(await pool(c.env).renew(c.req.valid('json'), caller(c))),
);

poolRoutes.post(
  '/api/pool/release',
  describe({
    tag: TAG,
    summary: 'Release a lease, counting the units used',
    responses: { 200: { description: 'The lease is over.', schema: LeaseEndSchema } },
    errors: ['NOT_FOUND', 'LEASE_EXPIRED', UNAVAILABLE],
  }),
  poolJson(ReleaseBody),
  async (c) => c.json(await pool(c.env).release(c.req.valid('json'), caller(c))),
);

poolRoutes.post(
  '/api/pool/report-error',
  describe({
    tag: TAG,
    summary: 'End a lease with an error: rate_limited, auth_failed, quota_exhausted or other',
    responses: { 200: { description: 'The lease is over; the credential cools down.', schema: ErrorReportSchema } },
    errors: ['NOT_FOUND', 'LEASE_EXPIRED', UNAVAILABLE],
  }),
  poolJson(ReportErrorBody),
  async (c) => c.json(await pool(c.env).reportError(c.req.valid('json'), caller(c))),
);

// --- issue 21: by credential id (pool/by-id.ts) ---------------------------------

const credentialId = params(IdParams, 'credential');
const NOT_FOUND: ErrorCode = 'CREDENTIAL_NOT_FOUND';

poolRoutes.get(
  '/api/pool/credentials',
  describe({
    tag: TAG,
    summary: "List a platform/tier's credentials: metadata only",
    description: 'id, name, platform, tier, active, expires_at, cooldown_until; never a field value.',
    responses: { 200: { description: 'The credentials of the pool, by id.', schema: CredentialMetadataListSchema } },
  }),
  query(CredentialMetadataQuery),
  async (c) => c.json(await pool(c.env).credentialMetadata(c.req.valid('query'), caller(c))),
);

poolRoutes.get(
  '/api/pool/credentials/:id',
  describe({
    tag: TAG,
    summary: "Read one credential's metadata",
    responses: { 200: { description: 'Metadata only, never a field value.', schema: CredentialMetadataSchema } },
    errors: [NOT_FOUND],
  }),
  credentialId,
  async (c) => c.json(await pool(c.env).credentialMetadataById(c.req.valid('param').id, caller(c))),
);

poolRoutes.post(
  '/api/pool/credentials/:id/cooldown',
  describe({
    tag: TAG,
    summary: 'Cool a credential down by id, for every worker',
    description:
      'Only for a key that holds, or held within the last hour, a lease on the credential. Replaces an earlier cooldown by id; runs beside the error cooldown.',
    responses: { 200: { description: 'When the credential is usable again.', schema: CooldownSchema } },
    errors: [NOT_FOUND, 'NOT_A_RECENT_HOLDER'],
  }),
  credentialId,
  json(CooldownBody),
  async (c) => c.json(await pool(c.env).setCooldown(c.req.valid('param').id, c.req.valid('json'), caller(c))),
);

poolRoutes.delete(
  '/api/pool/credentials/:id/cooldown',
  describe({
    tag: TAG,
    summary: 'Clear a cooldown set by id',
    description: 'Same rule as setting it. The error cooldown of report-error stays.',
    responses: { 204: { description: 'Cleared (also when there was none).' } },
    errors: [NOT_FOUND, 'NOT_A_RECENT_HOLDER'],
  }),
  credentialId,
  async (c) => {
    await pool(c.env).clearCooldown(c.req.valid('param').id, caller(c));
    return c.body(null, 204);
  },
);

poolRoutes.put(
  '/api/pool/credentials/:id/expires-at',
  describe({
    tag: TAG,
    summary: "Set or clear the expiry of a credential's token",
    description: 'Informational: the pool does not refuse a credential past it. Audited as credential.set_expiry.',
    responses: { 200: { description: 'The expiry as stored (UTC).', schema: ExpiresAtSchema } },
    errors: [NOT_FOUND],
  }),
  credentialId,
  json(ExpiresAtBody),
  async (c) => c.json(await pool(c.env).setExpiresAt(c.req.valid('param').id, c.req.valid('json'), caller(c))),
);

poolRoutes.post(
  '/api/pool/update-fields',
  describe({
    tag: TAG,
    summary: "The lease's holder replaces the credential's secret fields (e.g. after an OAuth refresh)",
    description:
      "Checked against the arena registry, encrypted under the current key, in the pool's copy before the answer (the next acquire returns them), audited as credential.update_fields with the field names only.",
    responses: { 200: { description: 'Stored.', schema: FieldsUpdatedSchema } },
    errors: ['LEASE_EXPIRED', NOT_FOUND, LOCKED],
  }),
  json(UpdateFieldsBody),
  async (c) => c.json(await pool(c.env).updateFields(c.req.valid('json'), caller(c))),
);
