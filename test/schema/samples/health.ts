/** Contract samples for the two health checks: public answers, the signed-in additions, the admin-only deep check. */
import { createTestUser } from '../../support/auth.ts';
import { recorder, type Sample } from './record.ts';

export const healthSample: Sample = async () => {
  const r = recorder();
  const admin = (await createTestUser('admin')).headers;
  const researcher = (await createTestUser('researcher')).headers;
  await r.call('GET /api/health', '/api/health', {});
  const ARENAS = 'GET /api/arenas/health';
  await r.call(ARENAS, '/api/arenas/health', {}); // statuses and counts only
  await r.call(ARENAS, '/api/arenas/health', researcher); // plus key ids and unreadable row ids
  await r.call(ARENAS, '/api/arenas/health?deep=1', admin);
  await r.call(ARENAS, '/api/arenas/health?deep=true', {}); // 401
  await r.call(ARENAS, '/api/arenas/health?deep=1', researcher); // 403
  await r.call(ARENAS, '/api/arenas/health?deep=maybe', admin); // 422
  await r.call(ARENAS, '/api/arenas/health?verbose=1', {}); // 422: unknown parameter
  return r.recorded;
};
