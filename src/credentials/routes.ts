/**
 * Credential REST API (admin only, JSON, errors as `{error:{code,message}}`)
 * and the admin pages (mounted from pages.tsx). See docs/api/credentials.md.
 *
 *   POST   /api/credentials                      create → 201 masked record
 *   GET    /api/credentials?platform&tier&active&limit&offset
 *   GET    /api/credentials/:id
 *   PATCH  /api/credentials/:id                  name, quotas, notes
 *   PUT    /api/credentials/:id/secret           {fields}: replace (re-encrypts)
 *   POST   /api/credentials/:id/activate | deactivate | reset-errors | verify
 *   DELETE /api/credentials/:id
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { requireAdmin } from '../auth/middleware.ts';
import { readJsonObject } from '../http/errors.ts';
import { credentialStoreFor } from './context.ts';
import { parseCredentialId, parseCredentialListQuery, parseCredentialPatch, parseNewCredential } from './input.ts';
import { credentialPages } from './pages.tsx';

const api = new Hono<AppEnv>();
api.use('*', requireAdmin());

api.post('/', async (c) => {
  const input = parseNewCredential(await readJsonObject(c));
  return c.json(await credentialStoreFor(c).create(input), 201);
});

api.get('/', async (c) => c.json(await credentialStoreFor(c).list(parseCredentialListQuery(c.req.query()))));

api.get('/:id', async (c) => c.json(await credentialStoreFor(c).get(parseCredentialId(c.req.param('id')))));

api.patch('/:id', async (c) => {
  const id = parseCredentialId(c.req.param('id'));
  const patch = parseCredentialPatch(await readJsonObject(c));
  return c.json(await credentialStoreFor(c).update(id, patch));
});

api.put('/:id/secret', async (c) => {
  const id = parseCredentialId(c.req.param('id'));
  const body = await readJsonObject(c);
  return c.json(await credentialStoreFor(c).replaceSecret(id, body));
});

api.post('/:id/activate', async (c) => c.json(await credentialStoreFor(c).setActive(parseCredentialId(c.req.param('id')), true)));
api.post('/:id/deactivate', async (c) => c.json(await credentialStoreFor(c).setActive(parseCredentialId(c.req.param('id')), false)));
api.post('/:id/reset-errors', async (c) => c.json(await credentialStoreFor(c).resetErrors(parseCredentialId(c.req.param('id')))));
api.post('/:id/verify', async (c) => c.json(await credentialStoreFor(c).verify(parseCredentialId(c.req.param('id')))));
api.delete('/:id', async (c) => c.json(await credentialStoreFor(c).delete(parseCredentialId(c.req.param('id')))));

export const credentialRoutes = new Hono<AppEnv>();
credentialRoutes.route('/api/credentials', api);
credentialRoutes.route('/', credentialPages);
