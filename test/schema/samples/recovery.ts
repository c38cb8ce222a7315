/**
 * Contract samples for /api/admin/recovery*: rows under a key the vault lost,
 * the status, "check again", the purge (refused, done, nothing left), and
 * re-enabling what it disabled (done, already done, no such action). It
 * purges every lost-key row it seeds, so no later sample meets them.
 */
import { createTestUser } from '../../support/auth.ts';
import { apiKeyHeaders, seedCredential } from '../../pool/support.ts';
import { TEST_CREDENTIAL_KEY_2 } from '../../support/keys.ts';
import { PURGE_CONFIRMATION } from '../../../src/recovery/plan.ts';
import { recorder, type Sample } from './record.ts';

export const recoverySample: Sample = async () => {
  const r = recorder();
  const admin = await apiKeyHeaders('admin');
  const researcher = await createTestUser('researcher');
  await r.call('POST /api/query-designs', '/api/query-designs', researcher.headers, {
    name: 'Recovery contract design',
    arenas_config: { arenas: [{ id: 'youtube', enabled: true, tier: 'free' }] },
  });
  for (const n of [1, 2]) {
    await seedCredential({ platform: 'youtube', tier: 'free', fields: { api_key: `contract-lost-youtube-key-${n}` }, key: TEST_CREDENTIAL_KEY_2 });
  }
  const P = '/api/admin/recovery';
  await r.call(`GET ${P}`, P, admin);
  await r.call(`GET ${P}`, P, researcher.headers); // 403
  await r.call(`POST ${P}/check`, `${P}/check`, admin);
  await r.call(`POST ${P}/check`, `${P}/check`, {}); // 401
  const PURGE = `POST ${P}/purge`;
  await r.call(PURGE, `${P}/purge`, admin, { confirm: 'purge', key_ids: ['not-a-key-id'], scope: 'all' }); // 422, every problem
  await r.call(PURGE, `${P}/purge`, admin, '{'); // 400
  const purged = await r.call(PURGE, `${P}/purge`, admin, { confirm: PURGE_CONFIRMATION, scope: 'all' });
  await r.call(PURGE, `${P}/purge`, admin, { confirm: PURGE_CONFIRMATION, scope: 'all' }); // 409: nothing left
  const RE = `POST ${P}/:id/reenable`;
  await r.call(RE, `${P}/${purged.body.action.id}/reenable`, admin);
  await r.call(RE, `${P}/${purged.body.action.id}/reenable`, admin); // 409: already
  await r.call(RE, `${P}/999999999/reenable`, admin); // 404
  await r.call(RE, `${P}/x/reenable`, admin); // 404
  return r.recorded;
};
