/** Contract samples for /api/query-designs*: a design's whole life, and each refusal. */
import { createTestUser } from '../../support/auth.ts';
import { apiKeyHeaders } from '../../pool/support.ts';
import { recorder, type Sample } from './record.ts';

export const arenasSample: Sample = async () => {
  const r = recorder();
  const owner = (await createTestUser('researcher')).headers;
  const other = (await createTestUser('researcher')).headers;
  const LIST = 'GET /api/query-designs';
  const CREATE = 'POST /api/query-designs';
  const arenas_config = {
    arenas: [
      { id: 'google_search', enabled: true, tier: 'medium' },
      { id: 'gdelt', enabled: false, tier: 'free' },
    ],
  };
  const created = await r.call(CREATE, '/api/query-designs', owner, { name: 'Contract design', description: null, arenas_config });
  const id = created.body.id as number;
  await r.call(CREATE, '/api/query-designs', owner, { name: '', arenas_config: { arenas: [{ id: 'majestic', enabled: true, tier: 'free' }] }, owner_id: 1 }); // 422, three problems
  await r.call(CREATE, '/api/query-designs', owner, '{"name":'); // 400
  await r.call(CREATE, '/api/query-designs', await apiKeyHeaders('admin'), { name: 'No user behind this key' }); // 403: designs belong to users
  await r.call(LIST, '/api/query-designs?limit=5', owner);
  await r.call(LIST, '/api/query-designs?limit=0&offset=-1', owner); // 422
  await r.call(LIST, '/api/query-designs', {}); // 401
  await r.call(LIST, '/api/query-designs', await apiKeyHeaders('collector')); // 403
  await r.call('GET /api/query-designs/:id', `/api/query-designs/${id}`, owner);
  await r.call('GET /api/query-designs/:id', `/api/query-designs/${id}`, other); // 404: not theirs
  await r.call('GET /api/query-designs/:id', '/api/query-designs/not-an-id', owner); // 404
  await r.call('PATCH /api/query-designs/:id', `/api/query-designs/${id}`, owner, { description: 'Changed' });
  await r.call('PATCH /api/query-designs/:id', `/api/query-designs/${id}`, owner, { nmae: 'typo' }); // 422
  await r.call('PUT /api/query-designs/:id', `/api/query-designs/${id}`, owner, { name: 'Contract design, renamed' });
  await r.call('PUT /api/query-designs/:id', `/api/query-designs/${id}`, owner, 'not json'); // 400
  await r.call('DELETE /api/query-designs/:id', `/api/query-designs/${id}`, owner);
  await r.call('DELETE /api/query-designs/:id', `/api/query-designs/${id}`, owner); // 404: gone
  return r.recorded;
};
