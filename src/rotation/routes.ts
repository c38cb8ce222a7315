/**
 * Credential-key rotation over REST (admin only, JSON) and the admin page
 * (mounted from page.tsx). See docs/api/rotation.md.
 *
 *   POST /api/admin/rotations/credential-key         start → 202 status | 200 nothing_to_do | 409 ROTATION_IN_PROGRESS
 *        body (optional): {"batch_size": 1..500, "drain_timeout_seconds": 0..3600}
 *   GET  /api/admin/rotations/credential-key         status
 *   POST /api/admin/rotations/credential-key/abort   stop after the current batch → 202 status | 409 CONFLICT
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';
import type { ErrorCode } from '../errors.ts';
import { requireAdmin } from '../http/guards.ts';
import { json } from '../schema/validate.ts';
import { describe } from '../schema/spec.ts';
import { abortRotation, rotationStatus, startRotation } from './service.ts';
import { D1CredentialRows } from './d1-rows.ts';
import { ACTIVE_PHASES, type ActivePhase } from './state-machine.ts';
import { rotationPages } from './page.tsx';
import { AbortRequestedSchema, NothingToRotateSchema, RotationStartedSchema, RotationStatusNowSchema, StartRotationBody } from './requests.ts';

const TAG = 'rotation';
/** A second start while one runs: 409, with the running status under `error.rotation`. */
const IN_PROGRESS: ErrorCode = 'ROTATION_IN_PROGRESS';

const api = new Hono<AppEnv>();
api.use('*', requireAdmin());

api.post(
  '/',
  describe({
    tag: TAG,
    summary: 'Start re-encrypting every credential under the current key',
    description:
      'Locks collection, waits for outstanding leases, verifies, re-encrypts in batches, checks, unlocks. The body is optional. 200 `nothing_to_do` when every row is already under the current key.',
    responses: {
      202: { description: 'Started; poll GET for progress.', schema: RotationStartedSchema },
      200: { description: 'Nothing to rotate.', schema: NothingToRotateSchema },
    },
    errors: [IN_PROGRESS],
  }),
  json(StartRotationBody, { emptyIsObject: true }),
  async (c) => {
    const body = c.req.valid('json');
    const outcome = await startRotation(c.env, {
      actor: c.var.principal!.actor,
      batchSize: body.batch_size,
      drainTimeoutSeconds: body.drain_timeout_seconds,
    });
    if (!outcome.started) return c.json({ result: 'nothing_to_do' as const, ...outcome.status }, 200);
    return c.json({ result: 'started' as const, ...outcome.status }, 202);
  },
);

api.get(
  '/',
  describe({
    tag: TAG,
    summary: 'The rotation status (the last run, or idle)',
    responses: { 200: { description: 'Phase, counts, times and key ids; never a key.', schema: RotationStatusNowSchema } },
  }),
  async (c) => {
    const status = await rotationStatus(c.env);
    // A live count for the operator's last check; skipped (null) while a rotation
    // runs, because pollers ask every second and the count reads every row's key id.
    const running = ACTIVE_PHASES.includes(status.phase as ActivePhase);
    const rows = running ? null : await new D1CredentialRows(c.env.DB).countNotUnder(c.var.config.credentialKeys.currentKeyId);
    return c.json({ ...status, rows_not_under_current_key: rows });
  },
);

api.post(
  '/abort',
  describe({
    tag: TAG,
    summary: 'Abort the running rotation after its current batch',
    responses: { 202: { description: 'Abort requested; collection unlocks when the batch ends.', schema: AbortRequestedSchema } },
    errors: ['CONFLICT'],
  }),
  async (c) => {
    const status = await abortRotation(c.env, c.var.principal!.actor);
    return c.json({ result: 'abort_requested' as const, ...status }, 202);
  },
);

export const rotationRoutes = new Hono<AppEnv>();
rotationRoutes.route('/api/admin/rotations/credential-key', api);
rotationRoutes.route('/', rotationPages);
