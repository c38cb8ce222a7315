/**
 * REST for collectors: POST /api/pool/acquire | renew | release | report-error
 * (docs/api/pool.md). Only machine API keys with scope `collector` (or
 * `admin`) pass — a browser session or a user's bearer token never receives a
 * plaintext credential. A lease is bound to the key that acquired it.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { readJsonObject } from '../http/errors.ts';
import { VaultError } from '../errors.ts';
import { pool, resetPoolErrors } from './client.ts';
import { onCredentialErrorsReset } from '../credentials/store.ts';
import { parseAcquire, parseRelease, parseRenew, parseReportError } from './requests.ts';

export const poolRoutes = new Hono<AppEnv>();

// The credential store's reset-errors also clears the pool's cooldown and error streaks.
onCredentialErrorsReset(resetPoolErrors);

/** `Authorization: ApiKey …` with scope collector or admin; anything else is refused. */
export function requireCollectorKey(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const p = c.var.principal;
    if (!p) throw new VaultError('UNAUTHENTICATED', 'Authentication required: send Authorization: ApiKey <collector key>.');
    if (p.via !== 'api_key' || (p.scope !== 'collector' && p.scope !== 'admin')) {
      throw new VaultError('FORBIDDEN', 'Only API keys with the collector scope may use the pool.');
    }
    await next();
  };
}

poolRoutes.use('/api/pool/*', requireCollectorKey());

poolRoutes.post('/api/pool/acquire', async (c) => {
  const req = parseAcquire(await readJsonObject(c));
  return c.json(await pool(c.env).acquire(req, c.var.principal!.actor));
});

poolRoutes.post('/api/pool/renew', async (c) => {
  const req = parseRenew(await readJsonObject(c));
  return c.json(await pool(c.env).renew(req, c.var.principal!.actor));
});

poolRoutes.post('/api/pool/release', async (c) => {
  const req = parseRelease(await readJsonObject(c));
  return c.json(await pool(c.env).release(req, c.var.principal!.actor));
});

poolRoutes.post('/api/pool/report-error', async (c) => {
  const req = parseReportError(await readJsonObject(c));
  return c.json(await pool(c.env).reportError(req, c.var.principal!.actor));
});
