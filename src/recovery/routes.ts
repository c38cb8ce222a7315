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
import * as v from 'valibot';
import type { AppEnv } from '../http/types.ts';
import { requireAdmin } from '../http/guards.ts';
import { json, params } from '../schema/validate.ts';
import { describe } from '../schema/spec.ts';
import { IdParams, IsoTimestamp } from '../schema/types.ts';
import { KeyUsageSchema } from '../health/schemas.ts';
import { PurgeBody } from './plan.ts';
import { recoveryStoreFor } from './context.ts';
import { actorOf } from '../http/request-context.ts';
import { recoveryPages } from './pages.tsx';

const DisabledArenaSchema = v.object({ query_design_id: v.number(), arena: v.string(), tier: v.string() });
const ActionSchema = v.object({
  id: v.number(),
  at: IsoTimestamp,
  actor: v.string(),
  key_ids: v.array(v.string()),
  purged_count: v.number(),
  disabled_arenas: v.array(DisabledArenaSchema),
  reenabled_at: v.nullable(IsoTimestamp),
});
const RecoveryStatusSchema = v.object({
  current_key_id: v.string(),
  previous_key_ids: v.array(v.string()),
  keys: v.array(KeyUsageSchema),
  missing_keys: v.array(
    v.object({ key_id: v.string(), rows: v.number(), by_platform: v.array(v.object({ platform: v.string(), tier: v.string(), rows: v.number() })) }),
  ),
  purge_preview: v.object({ rows: v.number(), disabled_arenas: v.array(DisabledArenaSchema) }),
  actions: v.array(ActionSchema),
});
const PurgedSchema = v.object({ action: ActionSchema, purged_ids: v.array(v.number()) });
const ReenabledSchema = v.object({
  action: ActionSchema,
  reenabled: v.array(DisabledArenaSchema),
  skipped: v.array(v.object({ ...DisabledArenaSchema.entries, why: v.string() })),
  still_without_credentials: v.array(DisabledArenaSchema),
});

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
