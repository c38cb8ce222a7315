/**
 * REST for collectors: POST /api/pool/acquire | renew | release | report-error
 * (docs/api/pool.md). Only machine API keys with scope `collector` (or
 * `admin`) pass — a browser session or a user's bearer token never receives a
 * plaintext credential. A lease is bound to the key that acquired it.
 *
 * The key is not looked up in D1: `authenticate` defers it (auth/middleware.ts
 * isPoolPath) and each handler hands it to the pool object, which
 * authenticates it against its working copy in the same call that serves the
 * request — one Durable Object call, no D1 query. A request refused before it
 * reaches the object (malformed JSON, a body that fails its schema) asks the
 * object to authenticate the key first, so an unknown, revoked or expired key
 * still gets its 401 (or 403) before any 400/422, as everywhere else.
 */
import { Hono, type Context } from 'hono';
import { requireCollector } from '../http/guards.ts';
import type { AppEnv } from '../http/types.ts';
import { isVaultError, type ErrorCode } from '../errors.ts';
import type { PoolCaller } from './durable-object.ts';
import { json } from '../schema/validate.ts';
import { describe } from '../schema/spec.ts';
import { pool } from './client.ts';
import { AcquireBody, ErrorReportSchema, LeaseEndSchema, LeaseSchema, ReleaseBody, RenewBody, RenewedSchema, ReportErrorBody } from './requests.ts';

export const poolRoutes = new Hono<AppEnv>();

poolRoutes.use('/api/pool/*', requireCollector());
poolRoutes.use('/api/pool/*', async (c, next) => {
  await next();
  // Hono has already turned a thrown refusal into the response (c.error); a refused key's 401/403 replaces it.
  const e = c.error;
  const key = c.var.poolApiKey;
  if (key && isVaultError(e) && (e.code === 'INVALID_JSON' || e.code === 'VALIDATION_FAILED')) await pool(c.env).authenticate({ apiKey: key });
});

/** Who the pool serves: the deferred `ApiKey` (the only caller that passes requireCollector on these paths). */
function caller(c: Context<AppEnv>): PoolCaller {
  return { apiKey: c.var.poolApiKey! };
}

const TAG = 'pool';
/** Refusals every lease operation may answer besides validation and auth (docs/api/pool.md). */
const LOCKED: ErrorCode = 'COLLECTION_LOCKED';

poolRoutes.post(
  '/api/pool/acquire',
  describe({
    tag: TAG,
    summary: 'Lease a credential for a task',
    description: 'Answers the decrypted fields under a lease. 404 NO_CREDENTIAL_AVAILABLE (with `reason` and Retry-After) when nothing can be leased; 423 while a rotation holds collection.',
    responses: { 200: { description: 'The lease, with the plaintext fields.', schema: LeaseSchema } },
    errors: ['NO_CREDENTIAL_AVAILABLE', LOCKED, 'KEY_MISSING', 'UNDECRYPTABLE'],
  }),
  json(AcquireBody),
  async (c) => c.json(await pool(c.env).acquire(c.req.valid('json'), caller(c))),
);

poolRoutes.post(
  '/api/pool/renew',
  describe({
    tag: TAG,
    summary: 'Extend a lease',
    responses: { 200: { description: 'The new expiry.', schema: RenewedSchema } },
    errors: ['NOT_FOUND', 'LEASE_EXPIRED', LOCKED],
  }),
  json(RenewBody),
  async (c) => c.json(await pool(c.env).renew(c.req.valid('json'), caller(c))),
);

poolRoutes.post(
  '/api/pool/release',
  describe({
    tag: TAG,
    summary: 'Release a lease, counting the units used',
    responses: { 200: { description: 'The lease is over.', schema: LeaseEndSchema } },
    errors: ['NOT_FOUND', 'LEASE_EXPIRED'],
  }),
  json(ReleaseBody),
  async (c) => c.json(await pool(c.env).release(c.req.valid('json'), caller(c))),
);

poolRoutes.post(
  '/api/pool/report-error',
  describe({
    tag: TAG,
    summary: 'End a lease with an error: rate_limited, auth_failed, quota_exhausted or other',
    responses: { 200: { description: 'The lease is over; the credential cools down.', schema: ErrorReportSchema } },
    errors: ['NOT_FOUND', 'LEASE_EXPIRED'],
  }),
  json(ReportErrorBody),
  async (c) => c.json(await pool(c.env).reportError(c.req.valid('json'), caller(c))),
);
