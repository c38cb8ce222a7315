/**
 * Admin-only REST for accounts and machine keys:
 *   GET    /api/users                       {users: [...]}
 *   POST   /api/users                       {email, password, display_name?, role?} → 201 user
 *   GET    /api/users/:id                   user
 *   PATCH  /api/users/:id                   {role?, is_active?, display_name?} → user
 *   POST   /api/users/:id/revoke-sessions   → user (token_version bumped)
 *   POST   /api/users/:id/password          {password} → user (a temporary password; sessions end)
 *   POST   /api/api-keys                    {name, scope, user_id?, expires_at?} → 201 {id, name, scope, key, ...}
 *   GET    /api/api-keys                    {api_keys: [...]} (never a key or hash)
 *   DELETE /api/api-keys/:id                → 204 (revoked)
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { readJsonObject } from '../http/errors.ts';
import { VaultError } from '../errors.ts';
import { requireAdmin } from './middleware.ts';
import { actorOf, idParam } from './request-context.ts';
import { parseNewUser, parseUserChanges, passwordProblem } from './user-rules.ts';
import { createUser, getUser, listUsers, publicUser, revokeSessions, setPassword, updateUser } from './users.ts';
import { parseNewApiKey } from './api-keys.ts';
import { createApiKey, listApiKeys, publicApiKey, revokeApiKey } from './api-key-store.ts';

export const adminApi = new Hono<AppEnv>();

for (const path of ['/api/users', '/api/users/*', '/api/api-keys', '/api/api-keys/*']) adminApi.use(path, requireAdmin());

adminApi.get('/api/users', async (c) => c.json({ users: (await listUsers(c.var.db)).map(publicUser) }));

adminApi.post('/api/users', async (c) => {
  const input = parseNewUser(await readJsonObject(c));
  return c.json(publicUser(await createUser(c.var.db, input, actorOf(c))), 201);
});

adminApi.get('/api/users/:id', async (c) => c.json(publicUser(await getUser(c.var.db, idParam(c)))));

adminApi.patch('/api/users/:id', async (c) => {
  const id = idParam(c);
  const changes = parseUserChanges(await readJsonObject(c));
  return c.json(publicUser(await updateUser(c.var.db, id, changes, actorOf(c))));
});

adminApi.post('/api/users/:id/revoke-sessions', async (c) => {
  return c.json(publicUser(await revokeSessions(c.var.db, idParam(c), actorOf(c))));
});

adminApi.post('/api/users/:id/password', async (c) => {
  const id = idParam(c);
  const body = await readJsonObject(c);
  const problem = passwordProblem(body.password);
  if (problem) throw new VaultError('VALIDATION_FAILED', `password: ${problem}.`, { details: { field: 'password' } });
  return c.json(publicUser(await setPassword(c.var.db, id, body.password as string, actorOf(c))));
});

adminApi.get('/api/api-keys', async (c) => {
  const now = Date.now();
  return c.json({ api_keys: (await listApiKeys(c.var.db)).map((k) => publicApiKey(k.row, k.creator, now)) });
});

adminApi.post('/api/api-keys', async (c) => {
  const input = parseNewApiKey(await readJsonObject(c));
  const created = await createApiKey(c.var.db, input, c.var.principal?.userId ?? null, actorOf(c));
  return c.json(created, 201);
});

adminApi.delete('/api/api-keys/:id', async (c) => {
  await revokeApiKey(c.var.db, idParam(c), actorOf(c));
  return c.body(null, 204);
});
