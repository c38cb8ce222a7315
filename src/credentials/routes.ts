/**
 * Credential REST API (admin only, JSON, errors as `{error:{code,message}}`)
 * and the admin pages (mounted from pages.tsx). See docs/api/credentials.md;
 * the contract is /api/openapi.json, built from the schemas and `describe`s here.
 *
 *   POST   /api/credentials                      create → 201 masked record
 *   GET    /api/credentials?platform&tier&active&limit&offset
 *   GET    /api/credentials/:id
 *   PATCH  /api/credentials/:id                  name, quotas, notes, max_leases
 *   PUT    /api/credentials/:id/secret           {fields}: replace (re-encrypts)
 *   POST   /api/credentials/:id/activate | deactivate | reset-errors | verify
 *   DELETE /api/credentials/:id
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { requireAdmin } from '../http/guards.ts';
import { json, params, query } from '../schema/validate.ts';
import { describe } from '../schema/spec.ts';
import { IdParams } from '../schema/types.ts';
import { credentialStoreFor } from './context.ts';
import { CredentialListQuery, CredentialPatchBody, NewCredentialBody, SecretBody } from './input.ts';
import { CredentialDeletedSchema, CredentialListSchema, CredentialViewSchema, VerifyReportSchema } from './view.ts';
import { credentialPages } from './pages.tsx';

const TAG = 'credentials';
const id = params(IdParams, 'credential');
const masked = (description: string) => ({ 200: { description, schema: CredentialViewSchema } });

const api = new Hono<AppEnv>();
api.use('*', requireAdmin());

api.post(
  '/',
  describe({
    tag: TAG,
    summary: 'Add a credential',
    description: "Encrypts the platform's fields under the current key. `fields` must hold exactly the fields the arena registry lists for `platform`.",
    responses: { 201: { description: 'The masked record.', schema: CredentialViewSchema } },
  }),
  json(NewCredentialBody),
  async (c) => c.json(await credentialStoreFor(c).create(c.req.valid('json')), 201),
);

api.get(
  '/',
  describe({
    tag: TAG,
    summary: 'List credentials, filtered and paged',
    description: 'Ordered by platform, tier, name, id; `next_offset` is null on the last page.',
    responses: { 200: { description: 'One page of masked records.', schema: CredentialListSchema } },
  }),
  query(CredentialListQuery),
  async (c) => c.json(await credentialStoreFor(c).list(c.req.valid('query'))),
);

api.get('/:id', describe({ tag: TAG, summary: 'Read one credential (masked)', responses: masked('The masked record.') }), id, async (c) =>
  c.json(await credentialStoreFor(c).get(c.req.valid('param').id)),
);

api.patch(
  '/:id',
  describe({
    tag: TAG,
    summary: 'Change name, quotas, notes or concurrent leases',
    description: 'Secrets (`PUT …/secret`), platform, tier and activity (`…/activate`, `…/deactivate`) are refused here with a 422 that says where to go.',
    responses: masked('The masked record.'),
  }),
  id,
  json(CredentialPatchBody),
  async (c) => c.json(await credentialStoreFor(c).update(c.req.valid('param').id, c.req.valid('json'))),
);

api.put(
  '/:id/secret',
  describe({
    tag: TAG,
    summary: 'Replace the secret (re-encrypts under the current key)',
    description: "`fields` is checked against the stored credential's platform, as on create.",
    responses: masked('The masked record, under the current key.'),
  }),
  id,
  json(SecretBody),
  async (c) => c.json(await credentialStoreFor(c).replaceSecret(c.req.valid('param').id, c.req.valid('json').fields)),
);

api.post('/:id/activate', describe({ tag: TAG, summary: 'Let the pool lease the credential again', responses: masked('The masked record.') }), id, async (c) =>
  c.json(await credentialStoreFor(c).setActive(c.req.valid('param').id, true)),
);

api.post(
  '/:id/deactivate',
  describe({ tag: TAG, summary: 'Stop the pool from leasing the credential', responses: masked('The masked record.') }),
  id,
  async (c) => c.json(await credentialStoreFor(c).setActive(c.req.valid('param').id, false)),
);

api.post(
  '/:id/reset-errors',
  describe({
    tag: TAG,
    summary: "Clear the error count and the pool's cooldown",
    responses: masked('The masked record (`error_count` 0, `last_error_at` null).'),
  }),
  id,
  async (c) => c.json(await credentialStoreFor(c).resetErrors(c.req.valid('param').id)),
);

api.post(
  '/:id/verify',
  describe({
    tag: TAG,
    summary: 'Check that the credential decrypts and still matches the registry',
    responses: { 200: { description: 'The verify report, never the value.', schema: VerifyReportSchema } },
  }),
  id,
  async (c) => c.json(await credentialStoreFor(c).verify(c.req.valid('param').id)),
);

api.delete(
  '/:id',
  describe({ tag: TAG, summary: 'Delete a credential for good', responses: { 200: { description: 'Deleted.', schema: CredentialDeletedSchema } } }),
  id,
  async (c) => c.json(await credentialStoreFor(c).delete(c.req.valid('param').id)),
);

export const credentialRoutes = new Hono<AppEnv>();
credentialRoutes.route('/api/credentials', api);
credentialRoutes.route('/', credentialPages);
