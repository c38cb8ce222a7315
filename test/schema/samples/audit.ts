/** Contract samples for /api/audit: reads with filters and paging, refusals, and the append-only 405s. */
import { createTestUser } from '../../support/auth.ts';
import { recorder, type Sample } from './record.ts';

export const auditSample: Sample = async () => {
  const r = recorder();
  const admin = await createTestUser('admin');
  const researcher = (await createTestUser('researcher')).headers;
  // The login of createTestUser (or the credentials sample) leaves events to read.
  const page = await r.call('GET /api/audit', '/api/audit?limit=1', admin.headers);
  await r.call('GET /api/audit', `/api/audit?action=credential.*&from=2020-01-01&to=2099-12-31&before=${page.body.next_before ?? 1}`, admin.headers);
  await r.call('GET /api/audit', '/api/audit?from=soon&to=2020-01-01&limit=0&before=x&typo=1', admin.headers);
  await r.call('GET /api/audit', '/api/audit', {});
  await r.call('GET /api/audit', '/api/audit', researcher);
  for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
    await r.call(`${method} /api/audit`, '/api/audit', admin.headers, { action: 'tampered' });
    await r.call(`${method} /api/audit/*`, '/api/audit/1', admin.headers, { action: 'tampered' });
  }
  await r.call('DELETE /api/audit/*', '/api/audit/1', {});
  return r.recorded;
};
