/**
 * The audit log, read-only and admin only:
 *   GET /api/audit?action&actor&target&from&to&limit&before   (see query.ts)
 *   GET /admin/audit                                          the same as a page
 * Append-only: no route updates or deletes events; any other method on
 * /api/audit answers 405 with `Allow: GET`.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { requireAdmin } from '../auth/middleware.ts';
import { VaultError } from '../errors.ts';
import { listAuditEvents } from './repository.ts';
import { parseAuditQuery } from './query.ts';
import { auditPage } from './page.tsx';

export const auditRoutes = new Hono<AppEnv>();

auditRoutes.use('/api/audit', requireAdmin());
auditRoutes.use('/api/audit/*', requireAdmin());

auditRoutes.get('/api/audit', async (c) => c.json(await listAuditEvents(c.var.db, parseAuditQuery(c.req.query()))));

const appendOnly = () => {
  throw new VaultError('NOT_SUPPORTED', 'The audit log is append-only: events cannot be changed or deleted.', { status: 405 });
};
for (const path of ['/api/audit', '/api/audit/*']) {
  auditRoutes.on(['POST', 'PUT', 'PATCH', 'DELETE'], path, async (c) => {
    c.header('Allow', 'GET');
    return appendOnly();
  });
}

auditRoutes.route('/', auditPage);
