/**
 * Lost-key recovery over REST (admins; docs/recovery.md), plus the banner
 * middleware and the /admin/recovery pages. Mounted first in src/index.ts so
 * the banner is set before any other admin page renders.
 *
 *   GET  /api/admin/recovery                 status: missing keys, rows, preview, past actions
 *   POST /api/admin/recovery/check           (a) after adding an old key back: record what is readable now
 *   POST /api/admin/recovery/purge           (b) {confirm, scope:"all"} | {confirm, key_ids:[…]}
 *   POST /api/admin/recovery/:id/reenable    (c) re-enable exactly the arenas that purge disabled
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { requireAdmin } from '../auth/middleware.ts';
import { readJsonObject } from '../http/errors.ts';
import { lostKeyBanner } from './banner.ts';
import { parsePurgeRequest } from './plan.ts';
import { actorOf, parseActionId, recoveryStoreFor } from './context.ts';
import { recoveryPages } from './pages.tsx';

const api = new Hono<AppEnv>();
api.use('*', requireAdmin());
api.get('/', async (c) => c.json(await recoveryStoreFor(c).status()));
api.post('/check', async (c) => c.json(await recoveryStoreFor(c).check(actorOf(c))));
api.post('/purge', async (c) => {
  const scope = parsePurgeRequest(await readJsonObject(c));
  return c.json(await recoveryStoreFor(c).purge(scope, actorOf(c)));
});
api.post('/:id/reenable', async (c) => c.json(await recoveryStoreFor(c).reenable(parseActionId(c.req.param('id')), actorOf(c))));

export const recoveryRoutes = new Hono<AppEnv>();
recoveryRoutes.use('/admin/*', lostKeyBanner());
recoveryRoutes.route('/api/admin/recovery', api);
recoveryRoutes.route('/', recoveryPages);
