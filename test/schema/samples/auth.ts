/**
 * Contract samples for accounts: sessions, users, API keys. The document and
 * its page are not in the document (openapi.test.ts, NOT_IN_SCHEMA), so they
 * have no sample.
 */
import { createTestUser } from '../../support/auth.ts';
import { userWithPassword } from '../../auth/support.ts';
import { recorder, type Sample } from './record.ts';

export const authSample: Sample = async () => {
  const r = recorder();
  const none = {};
  // Sessions. Each login comes from its own address so the brute-force buckets stay apart from other suites.
  const person = await userWithPassword('researcher');
  const ip = { 'cf-connecting-ip': `192.0.2.${1 + Math.floor(Math.random() * 250)}` };
  const token = await r.call('POST /api/auth/login', '/api/auth/login', ip, { email: person.email, password: person.password });
  await r.call('POST /api/auth/login', '/api/auth/login', ip, { email: person.email, password: 'not the password' }); // 401
  await r.call('POST /api/auth/login', '/api/auth/login', ip, { email: person.email }); // 422
  await r.call('POST /api/auth/login', '/api/auth/login', ip, '{'); // 400
  const bearer = { authorization: `Bearer ${token.body.access_token}` };
  await r.call('GET /api/auth/me', '/api/auth/me', bearer);
  await r.call('GET /api/auth/me', '/api/auth/me', none); // 401
  await r.call('POST /api/auth/password', '/api/auth/password', bearer, { current_password: 'wrong', new_password: 'short' }); // 422, two problems
  const changed = await r.call(
    'POST /api/auth/password',
    '/api/auth/password',
    { ...bearer, ...ip },
    { current_password: person.password, new_password: 'a new long passphrase 42' },
  );
  const fresh = { authorization: `Bearer ${changed.body.access_token}` };
  await r.call('POST /api/auth/logout', '/api/auth/logout', none);
  await r.call('POST /api/auth/logout-all', '/api/auth/logout-all', fresh);

  // Users.
  const admin = await createTestUser('admin');
  const a = { authorization: `Bearer ${admin.token}` };
  await r.call('GET /api/users', '/api/users', a);
  await r.call('GET /api/users', '/api/users', fresh); // 401 (logged out everywhere)
  const researcher = await createTestUser('researcher');
  await r.call('GET /api/users', '/api/users', { authorization: `Bearer ${researcher.token}` }); // 403
  const created = await r.call('POST /api/users', '/api/users', a, {
    email: `contract-${crypto.randomUUID().slice(0, 8)}@example.test`,
    password: 'a temporary passphrase',
    role: 'researcher',
  });
  await r.call('POST /api/users', '/api/users', a, { email: created.body.email, password: 'a temporary passphrase' }); // 409
  await r.call('POST /api/users', '/api/users', a, { email: 'nope', password: 'x', hashed_password: 'y' }); // 422
  const id = created.body.id as number;
  await r.call('GET /api/users/:id', `/api/users/${id}`, a);
  await r.call('GET /api/users/:id', '/api/users/999999999', a); // 404
  await r.call('PATCH /api/users/:id', `/api/users/${id}`, a, { display_name: 'Contract Person' });
  await r.call('PATCH /api/users/:id', `/api/users/${id}`, a, {}); // 422
  await r.call('POST /api/users/:id/revoke-sessions', `/api/users/${id}/revoke-sessions`, a);
  await r.call('POST /api/users/:id/password', `/api/users/${id}/password`, a, { password: 'another temporary passphrase' });
  await r.call('POST /api/users/:id/password', `/api/users/${id}/password`, a, { password: 'short' }); // 422

  // API keys.
  const key = await r.call('POST /api/api-keys', '/api/api-keys', a, { name: 'contract collector', scope: 'collector', expires_at: '2099-01-01' });
  await r.call('POST /api/api-keys', '/api/api-keys', a, { name: 'x', scope: 'root', expires_at: '2001-01-01' }); // 422
  await r.call('GET /api/api-keys', '/api/api-keys', a);
  await r.call('DELETE /api/api-keys/:id', `/api/api-keys/${key.body.id}`, a);
  await r.call('DELETE /api/api-keys/:id', '/api/api-keys/999999999', a); // 404
  await r.call('DELETE /api/api-keys/:id', '/api/api-keys/abc', a); // 404
  return r.recorded;
};
