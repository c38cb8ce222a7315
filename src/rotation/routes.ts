/**
 * Credential-key rotation over REST (admin only, JSON) and the admin page
 * (mounted from page.tsx). See docs/api/rotation.md.
 *
 *   POST /api/admin/rotations/credential-key         start → 202 status | 200 nothing_to_do | 409 ROTATION_IN_PROGRESS
 *        body (optional): {"batch_size": 1..500, "drain_timeout_seconds": 0..3600}
 *   GET  /api/admin/rotations/credential-key         status
 *   POST /api/admin/rotations/credential-key/abort   stop after the current batch → 202 status | 409 CONFLICT
 */
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { requireAdmin } from '../auth/middleware.ts';
import { VaultError } from '../errors.ts';
import { abortRotation, rotationStatus, startRotation } from './service.ts';
import { D1CredentialRows } from './d1-rows.ts';
import { ACTIVE_PHASES, type ActivePhase } from './state-machine.ts';
import { rotationPages } from './page.tsx';

const START_FIELDS = new Set(['batch_size', 'drain_timeout_seconds']);

/** An optional JSON object body: empty means `{}`; anything else must be an object. */
async function optionalJsonObject(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (!text.trim()) return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new VaultError('INVALID_JSON', 'The request body is not valid JSON.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new VaultError('INVALID_JSON', 'The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

const api = new Hono<AppEnv>();
api.use('*', requireAdmin());

api.post('/', async (c) => {
  const body = await optionalJsonObject(c);
  const unknown = Object.keys(body).filter((k) => !START_FIELDS.has(k));
  if (unknown.length) {
    throw new VaultError('VALIDATION_FAILED', `Unknown field: ${unknown[0]}. Allowed: batch_size, drain_timeout_seconds.`, { details: { field: unknown[0] } });
  }
  const outcome = await startRotation(c.env, {
    actor: c.var.principal!.actor,
    batchSize: body.batch_size as number | undefined,
    drainTimeoutSeconds: body.drain_timeout_seconds as number | undefined,
  });
  if (!outcome.started) return c.json({ result: 'nothing_to_do', ...outcome.status }, 200);
  return c.json({ result: 'started', ...outcome.status }, 202);
});

api.get('/', async (c) => {
  const status = await rotationStatus(c.env);
  // A live count for the operator's last check; skipped (null) while a rotation
  // runs, because pollers ask every second and the count reads every row's key id.
  const running = ACTIVE_PHASES.includes(status.phase as ActivePhase);
  const rows = running ? null : await new D1CredentialRows(c.env.DB).countNotUnder(c.var.config.credentialKeys.currentKeyId);
  return c.json({ ...status, rows_not_under_current_key: rows });
});

api.post('/abort', async (c) => {
  const status = await abortRotation(c.env, c.var.principal!.actor);
  return c.json({ result: 'abort_requested', ...status }, 202);
});

export const rotationRoutes = new Hono<AppEnv>();
rotationRoutes.route('/api/admin/rotations/credential-key', api);
rotationRoutes.route('/', rotationPages);
