/** Contract samples for /api/credentials/*: every route's success, and its refusals. */
import { createTestUser } from '../../support/auth.ts';
import { apiKeyHeaders, insertRawCredential, redditBody, sealWith, serperBody } from '../../credentials/support.ts';
import { TEST_CREDENTIAL_KEY_2 } from '../../support/keys.ts';
import { recorder, type Sample } from './record.ts';

export const credentialsSample: Sample = async () => {
  const r = recorder();
  const admin = (await createTestUser('admin')).headers;
  const researcher = (await createTestUser('researcher')).headers;
  const collector = await apiKeyHeaders('collector');

  // Create: 201 (two platforms), 422 (every problem, also without a registry platform), 400, 401, 403.
  const made = await r.call('POST /api/credentials', '/api/credentials', admin, { ...serperBody('contract serper'), daily_quota: 10, notes: 'n' });
  await r.call('POST /api/credentials', '/api/credentials', admin, redditBody('contract reddit'));
  await r.call('POST /api/credentials', '/api/credentials', admin, {
    platform: 'reddit',
    tier: 'premium',
    credential_name: '',
    fields: { client_id: 7 },
    typo: 1,
  });
  await r.call('POST /api/credentials', '/api/credentials', admin, { platform: 'myspace', tier: 'gold', credential_name: 'x', fields: [] });
  await r.call('POST /api/credentials', '/api/credentials', admin, '{"platform":');
  await r.call('POST /api/credentials', '/api/credentials', {}, serperBody());
  await r.call('POST /api/credentials', '/api/credentials', collector, serperBody());
  const id = made.body.id as number;

  // List: 200, 422, 403.
  await r.call('GET /api/credentials', '/api/credentials?platform=serper&active=true&limit=2', admin);
  await r.call('GET /api/credentials', '/api/credentials?tier=gold&limit=1000&extra=1', admin);
  await r.call('GET /api/credentials', '/api/credentials', researcher);

  // One credential: 200, 404 (unknown and impossible ids).
  await r.call('GET /api/credentials/:id', `/api/credentials/${id}`, admin);
  await r.call('GET /api/credentials/:id', '/api/credentials/999999', admin);
  await r.call('GET /api/credentials/:id', '/api/credentials/abc', admin);
  const lost = await sealWith(TEST_CREDENTIAL_KEY_2, { api_key: 'contract-lost-key-000000' });
  const lostId = await insertRawCredential({ token: lost.token, keyId: lost.keyId, name: 'contract lost key' });
  await r.call('GET /api/credentials/:id', `/api/credentials/${lostId}`, admin); // fields: null

  await r.call('PATCH /api/credentials/:id', `/api/credentials/${id}`, admin, { credential_name: 'contract renamed', monthly_quota: null, max_leases: 2 });
  await r.call('PATCH /api/credentials/:id', `/api/credentials/${id}`, admin, { fields: {}, is_active: false });
  await r.call('PATCH /api/credentials/:id', `/api/credentials/${id}`, admin, {});
  await r.call('PATCH /api/credentials/:id', '/api/credentials/999999', admin, { notes: 'x' });

  await r.call('PUT /api/credentials/:id/secret', `/api/credentials/${id}/secret`, admin, { fields: { api_key: 'contract-new-serper-key-0001' } });
  await r.call('PUT /api/credentials/:id/secret', `/api/credentials/${id}/secret`, admin, { fields: { api_token: 'x' } });
  await r.call('PUT /api/credentials/:id/secret', `/api/credentials/${id}/secret`, admin, 'not json');

  for (const action of ['deactivate', 'activate', 'reset-errors', 'verify']) {
    await r.call(`POST /api/credentials/:id/${action}`, `/api/credentials/${id}/${action}`, admin);
    await r.call(`POST /api/credentials/:id/${action}`, `/api/credentials/999999/${action}`, admin);
  }
  await r.call('POST /api/credentials/:id/verify', `/api/credentials/${lostId}/verify`, admin); // undecryptable

  // Usage history: 200, 422, 404, 403. Check with provider: a row that does not decrypt is never sent (unsupported), 404, 403.
  await r.call('GET /api/credentials/:id/usage', `/api/credentials/${id}/usage?days=7`, admin);
  await r.call('GET /api/credentials/:id/usage', `/api/credentials/${id}/usage?days=0&format=xml`, admin);
  await r.call('GET /api/credentials/:id/usage', '/api/credentials/999999/usage', admin);
  await r.call('GET /api/credentials/:id/usage', `/api/credentials/${id}/usage`, researcher);
  await r.call('POST /api/credentials/:id/check', `/api/credentials/${lostId}/check`, admin);
  await r.call('POST /api/credentials/:id/check', '/api/credentials/999999/check', admin);
  await r.call('POST /api/credentials/:id/check', `/api/credentials/${id}/check`, researcher);

  await r.call('DELETE /api/credentials/:id', `/api/credentials/${lostId}`, admin);
  await r.call('DELETE /api/credentials/:id', `/api/credentials/${lostId}`, admin); // 404
  await r.call('DELETE /api/credentials/:id', `/api/credentials/${id}`, {});
  return r.recorded;
};
