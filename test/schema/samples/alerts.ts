/** Contract samples for /api/alerts*: a check, silence, destinations (create, list, test, delete) and the delivery log, with refusals. */
import { createTestUser } from '../../support/auth.ts';
import { apiKeyHeaders } from '../../pool/support.ts';
import { recorder, type Sample } from './record.ts';

export const alertsSample: Sample = async () => {
  const r = recorder();
  const admin = await apiKeyHeaders('admin');
  const researcher = await createTestUser('researcher');
  await r.call('GET /api/alerts', '/api/alerts', admin);
  await r.call('GET /api/alerts', '/api/alerts', researcher.headers); // 403
  await r.call('POST /api/alerts/check', '/api/alerts/check', {}); // 401
  const D = '/api/alerts/destinations';
  const created = await r.call(`POST ${D}`, D, admin, { kind: 'json', name: 'contract receiver', url: 'http://127.0.0.1:9/contract-hook' });
  await r.call(`POST ${D}`, D, admin, { kind: 'pager', name: '', url: 'http://example.com/x', extra: 1 }); // 422, every problem
  await r.call(`GET ${D}`, D, admin);
  const id = created.body.destination.id as number;
  await r.call(`POST ${D}/:id/test`, `${D}/${id}/test`, admin);
  await r.call(`POST ${D}/:id/test`, `${D}/999999/test`, admin); // 404
  await r.call('GET /api/alerts/deliveries', '/api/alerts/deliveries', admin);
  const open = await r.call('POST /api/alerts/check', '/api/alerts/check', admin);
  const alertId = (open.body.alerts as { id: number }[])[0]?.id ?? 999_998;
  await r.call('POST /api/alerts/:id/silence', `/api/alerts/${alertId}/silence`, admin, { until: new Date(Date.now() + 3_600_000).toISOString() });
  await r.call('POST /api/alerts/:id/silence', '/api/alerts/999999/silence', admin, { until: new Date(Date.now() + 3_600_000).toISOString() }); // 404
  await r.call('POST /api/alerts/:id/silence', `/api/alerts/${alertId}/silence`, admin, { until: 'soon' }); // 422
  await r.call(`DELETE ${D}/:id`, `${D}/${id}`, admin);
  await r.call(`DELETE ${D}/:id`, `${D}/${id}`, admin); // 404
  return r.recorded;
};
