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
  // Issue 21: by credential id (the first credential cools down after the report above).
  await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'contract-serper-key-0011' } });
  const shared = await r.call('POST /api/pool/acquire', '/api/pool/acquire', key, { ...acquire, mode: 'shared', task_id: 'contract-2' });
  const cid = shared.body.credential_id as number;
  await r.call('GET /api/pool/credentials', '/api/pool/credentials?platform=serper&tier=medium', key);
  await r.call('GET /api/pool/credentials', '/api/pool/credentials?platform=serper&tier=free', key); // 422: no free tier
  await r.call('GET /api/pool/credentials/:id', `/api/pool/credentials/${cid}`, key);
  await r.call('GET /api/pool/credentials/:id', '/api/pool/credentials/999999999', key); // 404
  await r.call('POST /api/pool/credentials/:id/cooldown', `/api/pool/credentials/${cid}/cooldown`, key, { seconds: 30, reason: 'FloodWait' });
  await r.call('POST /api/pool/credentials/:id/cooldown', `/api/pool/credentials/${cid}/cooldown`, await apiKeyHeaders('collector'), {
    seconds: 30,
    reason: 'x',
  }); // 403
  await r.call('DELETE /api/pool/credentials/:id/cooldown', `/api/pool/credentials/${cid}/cooldown`, key);
  await r.call('PUT /api/pool/credentials/:id/expires-at', `/api/pool/credentials/${cid}/expires-at`, key, { expires_at: '2027-01-31T12:00:00Z' });
  await r.call('PUT /api/pool/credentials/:id/expires-at', `/api/pool/credentials/${cid}/expires-at`, key, { expires_at: 'tomorrow' }); // 422
  await r.call('POST /api/pool/update-fields', '/api/pool/update-fields', key, {
    lease_id: shared.body.lease_id,
    fields: { api_key: 'contract-serper-key-0002' },
  });
  await r.call('POST /api/pool/update-fields', '/api/pool/update-fields', key, { lease_id: shared.body.lease_id, fields: { nope: 'x' } }); // 422
  await r.call('POST /api/pool/release', '/api/pool/release', key, { lease_id: shared.body.lease_id });
  await r.call('POST /api/pool/update-fields', '/api/pool/update-fields', key, {
    lease_id: shared.body.lease_id,
    fields: { api_key: 'contract-serper-key-0003' },
  }); // 410
  await r.call('POST /api/pool/acquire', '/api/pool/acquire', {}, acquire); // 401
  await r.call('POST /api/pool/report-error', '/api/pool/report-error', {}, {}); // 401
  return r.recorded;
};
