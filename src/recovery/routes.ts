/**
 * Lost-key recovery over REST (admins; docs/recovery.md) and the
 * /admin/recovery pages. (The lost-key banner is app-level middleware,
 * recovery/banner.ts, mounted in src/index.ts.)
 *
 *   GET  /api/admin/recovery                 status: missing keys, rows, preview, past actions
 *   POST /api/admin/recovery/check           (a) after adding an old key back: record what is readable now
 *   POST /api/admin/recovery/purge           (b) {confirm, scope:"all"} | {confirm, key_ids:[…]}
 *   POST /api/admin/recovery/:id/reenable    (c) re-enable exactly the arenas that purge disabled
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { requireAdmin } from '../http/guards.ts';
import { json, params } from '../schema/validate.ts';
import { describe } from '../schema/spec.ts';
import { IdParams } from '../schema/types.ts';
import { PurgedSchema, ReenabledSchema, RecoveryStatusSchema } from './schemas.ts';
import { PurgeBody } from './plan.ts';
import { recoveryStoreFor } from './context.ts';
import { actorOf } from '../http/request-context.ts';
import { recoveryPages } from './pages.tsx';

const TAG = 'recovery';
const api = new Hono<AppEnv>();
api.use('*', requireAdmin());

api.get(
  '/',
  describe({
    tag: TAG,
    summary: 'Lost-key status: missing keys, their rows, what a purge would disable, past actions',
    responses: { 200: { description: 'Key ids and counts; never a key or a credential.', schema: RecoveryStatusSchema } },
  }),
  async (c) => c.json(await recoveryStoreFor(c).status()),
);

api.post(
  '/check',
  describe({
    tag: TAG,
    summary: '(a) After adding an old key back: record (audited) what is readable now',
    responses: { 200: { description: 'The status now.', schema: RecoveryStatusSchema } },
  }),
  async (c) => c.json(await recoveryStoreFor(c).check(actorOf(c))),
);

api.post(
  '/purge',
  describe({
    tag: TAG,
    summary: '(b) Purge the unrecoverable rows and disable the arenas that lose their last credential',
    description: `Body: {"confirm": "PURGE UNRECOVERABLE CREDENTIALS", "scope": "all"} or {"confirm": ..., "key_ids": [...]}. 409 CONFLICT when nothing is unrecoverable.`,
    responses: { 200: { description: 'What was purged and disabled, as a recorded recovery action.', schema: PurgedSchema } },
    errors: ['CONFLICT'],
  }),
  json(PurgeBody),
  async (c) => c.json(await recoveryStoreFor(c).purge(c.req.valid('json'), actorOf(c))),
);

api.post(
  '/:id/reenable',
  describe({
    tag: TAG,
    summary: '(c) Re-enable exactly the arenas one purge disabled',
    responses: { 200: { description: 'What was re-enabled, skipped, and still lacks a usable credential.', schema: ReenabledSchema } },
    errors: ['CONFLICT'],
  }),
  params(IdParams, 'recovery action'),
  async (c) => c.json(await recoveryStoreFor(c).reenable(c.req.valid('param').id, actorOf(c))),
);

export const recoveryRoutes = new Hono<AppEnv>();
recoveryRoutes.route('/api/admin/recovery', api);
recoveryRoutes.route('/', recoveryPages);
