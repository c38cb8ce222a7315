/**
 * REST for collectors: POST /api/pool/acquire | renew | release | report-error
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
import { requireCollector } from '../auth/middleware.ts';
import type { AppEnv } from '../http/types.ts';
import { isVaultError, type ErrorCode } from '../errors.ts';
import type { PoolCaller } from './caller-auth.ts';
import { readJsonBody } from '../schema/validate.ts';
import { attachSpec, describe } from '../schema/spec.ts';
import { pool } from './client.ts';
import {
  AcquireBody, ErrorReportSchema, LeaseEndSchema, LeaseSchema, poolInput, problemOf, ReleaseBody, RenewBody, RenewedSchema, ReportErrorBody,
  type PoolInput,
} from './requests.ts';

export const poolRoutes = new Hono<AppEnv>();

poolRoutes.use('/api/pool/*', requireCollector());

/**
 * The JSON body parsed with `schema`, or its problem, as `c.req.valid('json')`:
 * never a refusal here (the object refuses it, after the key). Documented like
 * the `json` validator (schema/validate.ts), so the OpenAPI document shows the body.
 */
function poolJson<S extends v.GenericSchema>(schema: S): MiddlewareHandler<AppEnv, string, {
  in: { json: v.InferInput<S> };
  out: { json: PoolInput<v.InferOutput<S>> };
}> {
  return attachSpec(async (c, next) => {
    let input: PoolInput<v.InferOutput<S>>;
    try {
      input = poolInput(schema, await readJsonBody(c));
    } catch (e) {
      if (!isVaultError(e)) throw e;
      input = problemOf(e);
    }
    c.req.addValidatedData('json', input as never);
    await next();
  }, { kind: 'validator', target: 'json', schema });
}

/** Who the pool serves: the deferred `ApiKey` (the only caller that passes requireCollector on these paths). */
function caller(c: Context<AppEnv>): PoolCaller {
  return { apiKey: c.var.poolApiKey! };
}

const TAG = 'pool';
/** Refusals every lease operation may answer besides validation and auth (docs/api/pool.md). */
const LOCKED: [ErrorCode, number] = ['ROTATION_IN_PROGRESS', 423];
/** 503 while the pool's copy cannot be confirmed current (acquire and renew; the others only before the copy was ever read). */
const UNAVAILABLE: ErrorCode = 'POOL_UNAVAILABLE';

poolRoutes.post(
  '/api/pool/acquire',
  describe({
    tag: TAG,
    summary: 'Lease a credential for a task',
    description: 'Answers the decrypted fields under a lease. 404 NO_CREDENTIAL_AVAILABLE (with `reason` and Retry-After) when nothing can be leased; 423 while a rotation holds collection; 503 POOL_UNAVAILABLE (with Retry-After) while the pool cannot confirm its copy of the vault is current.',
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
