/** Contract samples for /api/pool/*: a whole lease life, and each refusal. */
import { env } from 'cloudflare:test';
import { apiKeyHeaders } from '../../support/auth.ts';
import { resetPool, seedCredential } from '../../pool/support.ts';
import { recorder, type Sample } from './record.ts';

export const poolSample: Sample = async () => {
  const r = recorder();
  await env.DB.prepare("DELETE FROM api_credentials WHERE platform = 'serper'").run();
  await resetPool();
  const key = await apiKeyHeaders('collector');
  const acquire = { platform: 'serper', tier: 'medium', task_id: 'contract-1' };
  await r.call('POST /api/pool/acquire', '/api/pool/acquire', key, acquire); // 404: nothing stored
  await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'contract-serper-key-0001' } });
  const lease = await r.call('POST /api/pool/acquire', '/api/pool/acquire', key, acquire);
  await r.call('POST /api/pool/renew', '/api/pool/renew', key, { lease_id: lease.body.lease_id, ttl_seconds: 120 });
  await r.call('POST /api/pool/release', '/api/pool/release', key, { lease_id: lease.body.lease_id, units_used: 1 });
  await r.call('POST /api/pool/renew', '/api/pool/renew', key, { lease_id: lease.body.lease_id }); // 410 or 404: over
  const again = await r.call('POST /api/pool/acquire', '/api/pool/acquire', key, acquire);
  await r.call('POST /api/pool/report-error', '/api/pool/report-error', key, { lease_id: again.body.lease_id, kind: 'rate_limited', retry_after: 5 });
  await r.call('POST /api/pool/release', '/api/pool/release', key, { lease_id: 'lease_AAAAAAAAAAAAAAAAAAAAAA' }); // 404
  await r.call('POST /api/pool/acquire', '/api/pool/acquire', key, { ...acquire, ttl_second: 60, tier: 'gold' }); // 422, two problems
  await r.call('POST /api/pool/acquire', '/api/pool/acquire', key, '{not json'); // 400
  await r.call('POST /api/pool/acquire', '/api/pool/acquire', {}, acquire); // 401
  await r.call('POST /api/pool/report-error', '/api/pool/report-error', {}, {}); // 401
  return r.recorded;
};
