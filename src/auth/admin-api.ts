/**
 * Admin-only REST for accounts and machine keys:
 *   GET    /api/users                       {users: [...]}
 *   POST   /api/users                       {email, password, display_name?, role?} → 201 user
 *   GET    /api/users/:id                   user
 *   PATCH  /api/users/:id                   {role?, is_active?, display_name?} → user
 *   POST   /api/users/:id/revoke-sessions   → user (token_version bumped)
 *   POST   /api/users/:id/password          {password} → user (a temporary password; sessions end)
 *   POST   /api/api-keys                    {name, scope, user_id?, expires_at?} → 201 {id, name, scope, key, ...}
 * Bodies and answers are the schemas in schemas.ts.
 *   GET    /api/api-keys                    {api_keys: [...]} (never a key or hash)
 *   DELETE /api/api-keys/:id                → 204 (revoked)
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';
import * as v from 'valibot';
import { requireAdmin } from '../http/guards.ts';
import { actorOf } from '../http/request-context.ts';
import { createUser, getUser, listUsers, publicUser, revokeSessions, setPassword, updateUser } from './users.ts';
import { createApiKey, listApiKeys, publicApiKey, revokeApiKey } from './api-key-repository.ts';
import { ApiKeySchema, NewApiKeyBody, NewApiKeySchema, NewUserBody, SetPasswordBody, UserChangesBody, UserSchema } from './schemas.ts';
import { json, params } from '../schema/validate.ts';
import { IdParams } from '../schema/types.ts';
import { describe } from '../schema/spec.ts';

export const adminApi = new Hono<AppEnv>();

for (const path of ['/api/users', '/api/users/*', '/api/api-keys', '/api/api-keys/*']) adminApi.use(path, requireAdmin());

const USERS = 'users';
const KEYS = 'api keys';
const userParams = params(IdParams, 'user');

adminApi.get(
  '/api/users',
  describe({
    tag: USERS,
    summary: 'List users',
    responses: { 200: { description: 'Every user (never a password hash).', schema: v.object({ users: v.array(UserSchema) }) } },
  }),
  async (c) => c.json({ users: (await listUsers(c.var.db)).map(publicUser) }),
);

adminApi.post(
  '/api/users',
  describe({
    tag: USERS,
    summary: 'Create a user with a temporary password',
    responses: { 201: { description: 'The new user.', schema: UserSchema } },
    errors: ['CONFLICT'],
  }),
  json(NewUserBody),
  async (c) => c.json(publicUser(await createUser(c.var.db, c.req.valid('json'), actorOf(c))), 201),
);

adminApi.get(
  '/api/users/:id',
  describe({ tag: USERS, summary: 'One user', responses: { 200: { description: 'The user.', schema: UserSchema } } }),
  userParams,
  async (c) => c.json(publicUser(await getUser(c.var.db, c.req.valid('param').id))),
);

adminApi.patch(
  '/api/users/:id',
  describe({
    tag: USERS,
    summary: 'Change role, activation or display name',
    description: "A role or activation change ends the user's sessions. The last active admin cannot be demoted or deactivated (409).",
    responses: { 200: { description: 'The user.', schema: UserSchema } },
    errors: ['CONFLICT'],
  }),
  userParams,
  json(UserChangesBody),
  async (c) => c.json(publicUser(await updateUser(c.var.db, c.req.valid('param').id, c.req.valid('json'), actorOf(c)))),
);

adminApi.post(
  '/api/users/:id/revoke-sessions',
  describe({ tag: USERS, summary: 'End every session of a user', responses: { 200: { description: 'The user, token_version bumped.', schema: UserSchema } } }),
  userParams,
  async (c) => c.json(publicUser(await revokeSessions(c.var.db, c.req.valid('param').id, actorOf(c)))),
);

adminApi.post(
  '/api/users/:id/password',
  describe({ tag: USERS, summary: "Set a temporary password (the user's sessions end)", responses: { 200: { description: 'The user.', schema: UserSchema } } }),
  userParams,
  json(SetPasswordBody),
  async (c) => c.json(publicUser(await setPassword(c.var.db, c.req.valid('param').id, c.req.valid('json').password, actorOf(c)))),
);

adminApi.get(
  '/api/api-keys',
  describe({
    tag: KEYS,
    summary: 'List machine API keys (never a key or its hash)',
    responses: { 200: { description: 'Every key, newest first.', schema: v.object({ api_keys: v.array(ApiKeySchema) }) } },
  }),
  async (c) => {
    const now = Date.now();
    return c.json({ api_keys: (await listApiKeys(c.var.db)).map((k) => publicApiKey(k.row, k.creator, now)) });
  },
);

adminApi.post(
  '/api/api-keys',
  describe({
    tag: KEYS,
    summary: 'Create a machine API key (the key is shown in this answer only)',
    responses: { 201: { description: 'The key, with `key` this once.', schema: NewApiKeySchema } },
  }),
  json(NewApiKeyBody),
  async (c) => c.json(await createApiKey(c.var.db, c.req.valid('json'), c.var.principal?.userId ?? null, actorOf(c)), 201),
);

adminApi.delete(
  '/api/api-keys/:id',
  describe({ tag: KEYS, summary: 'Revoke a key (repeating it is harmless)', responses: { 204: { description: 'Revoked.' } } }),
  params(IdParams, 'API key'),
  async (c) => {
    await revokeApiKey(c.var.db, c.req.valid('param').id, actorOf(c));
    return c.body(null, 204);
  },
);
