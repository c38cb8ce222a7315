/**
 * The audit log, read-only and admin only:
 *   GET /api/audit?action&actor&target&from&to&limit&before   (see query.ts)
 *   GET /admin/audit                                          the same as a page
 * Append-only: no route updates or deletes events; POST, PUT, PATCH and
 * DELETE on /api/audit and /api/audit/* answer 405 `METHOD_NOT_ALLOWED` with
 * `Allow: GET`, and the OpenAPI document says so for each.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { requireAdmin } from '../http/guards.ts';
import { VaultError } from '../errors.ts';
import { describe } from '../schema/spec.ts';
import { query } from '../schema/validate.ts';
import { AuditPageSchema, listAuditEvents } from './repository.ts';
import { AuditQuery } from './query.ts';
import { auditPage } from './page.tsx';

export const auditRoutes = new Hono<AppEnv>();

auditRoutes.use('/api/audit', requireAdmin());
auditRoutes.use('/api/audit/*', requireAdmin());

auditRoutes.get(
  '/api/audit',
  describe({
    tag: 'audit',
    summary: 'Read the audit log, newest first, filtered',
    description:
      "`action` ending in `*` is a prefix; `from`/`to` are ISO 8601 (a bare date in `to` includes the day); page with `before` = the previous answer's `next_before`.",
    responses: { 200: { description: 'One page of events.', schema: AuditPageSchema } },
  }),
  query<typeof AuditQuery, AppEnv>(AuditQuery),
  async (c) => c.json(await listAuditEvents(c.var.db, c.req.valid('query'))),
);

const APPEND_ONLY = 'The audit log is append-only: events cannot be changed or deleted.';

for (const path of ['/api/audit', '/api/audit/*']) {
  auditRoutes.on(
    ['POST', 'PUT', 'PATCH', 'DELETE'],
    path,
    describe({
      tag: 'audit',
      summary: 'Refused: the audit log is append-only',
      description: 'Always 405 with `Allow: GET`; no route changes or deletes an event.',
      responses: {},
      errors: ['METHOD_NOT_ALLOWED'],
    }),
    async (c) => {
      c.header('Allow', 'GET');
      throw new VaultError('METHOD_NOT_ALLOWED', APPEND_ONLY);
    },
  );
}

auditRoutes.route('/', auditPage);
