/**
 * REST for collectors: POST /api/pool/acquire | renew | release | report-error
 * (docs/api/pool.md). Only machine API keys with scope `collector` (or
 * `admin`) pass — a browser session or a user's bearer token never receives a
 * plaintext credential. A lease is bound to the key that acquired it.
 */
import { Hono } from 'hono';
import { requireCollector } from '../auth/middleware.ts';
import type { AppEnv } from '../http/types.ts';
import { readJsonObject } from '../http/errors.ts';
import { VaultError } from '../errors.ts';
import { pool, resetPoolErrors } from './client.ts';
import { onCredentialErrorsReset } from '../credentials/store.ts';
import { parseAcquire, parseRelease, parseRenew, parseReportError } from './requests.ts';

export const poolRoutes = new Hono<AppEnv>();

// The credential store's reset-errors also clears the pool's cooldown and error streaks.
onCredentialErrorsReset(resetPoolErrors);

poolRoutes.use('/api/pool/*', requireCollector());

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
