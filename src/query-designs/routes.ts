/**
 * REST for query designs (docs/api/query-designs.md). Users (researchers and
 * admins) and admin API keys; researchers see and change only their own.
 *
 *   GET    /api/query-designs?limit&offset
 *   POST   /api/query-designs            {name, description?, arenas_config?} → 201
 *   GET    /api/query-designs/:id
 *   PATCH  /api/query-designs/:id        any of name, description, arenas_config (PUT is the same)
 *   DELETE /api/query-designs/:id
 */
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { requireUser } from '../http/guards.ts';
import { json, params, query } from '../schema/validate.ts';
import { describe } from '../schema/spec.ts';
import { IdParams } from '../schema/types.ts';
import { QueryDesignStore } from './store.ts';
import { clientIp } from '../http/request-context.ts';
import {
  QueryDesignCreateBody,
  QueryDesignDeletedSchema,
  QueryDesignListQuery,
  QueryDesignListSchema,
  QueryDesignPatchBody,
  QueryDesignSchema,
} from './input.ts';

export function queryDesignStoreFor(c: Context<AppEnv>): QueryDesignStore {
  return new QueryDesignStore(c.var.db, c.var.principal!, clientIp(c));
}

const TAG = 'query-designs';
/** A design id in the path: a non-id, another researcher's design and a deleted one are all 404. */
const designId = params(IdParams, 'query design');
const one = (description: string) => ({ 200: { description, schema: QueryDesignSchema } });

const api = new Hono<AppEnv>();
api.use('*', requireUser());

api.get(
  '/',
  describe({
    tag: TAG,
    summary: 'List the query designs the caller may see',
    description: 'Admins see every design, researchers their own; newest change first.',
    responses: { 200: { description: 'A page of designs.', schema: QueryDesignListSchema } },
  }),
  query(QueryDesignListQuery),
  async (c) => {
    const { limit, offset } = c.req.valid('query');
    return c.json({ ...(await queryDesignStoreFor(c).list(limit, offset)), limit, offset });
  },
);

api.post(
  '/',
  describe({
    tag: TAG,
    summary: 'Create a query design',
    responses: { 201: { description: 'The new design.', schema: QueryDesignSchema } },
    errors: ['FORBIDDEN'],
  }),
  json(QueryDesignCreateBody),
  async (c) => c.json(await queryDesignStoreFor(c).create(c.req.valid('json')), 201),
);

api.get('/:id', describe({ tag: TAG, summary: 'Read a query design', responses: one('The design.') }), designId, async (c) =>
  c.json(await queryDesignStoreFor(c).get(c.req.valid('param').id)),
);

api.on(
  ['PATCH', 'PUT'],
  '/:id',
  describe({
    tag: TAG,
    summary: 'Change any of name, description and arenas_config',
    description: 'PATCH and PUT are the same: fields left out stay as they are.',
    responses: one('The changed design.'),
  }),
  designId,
  json(QueryDesignPatchBody),
  async (c) => c.json(await queryDesignStoreFor(c).update(c.req.valid('param').id, c.req.valid('json'))),
);

api.delete(
  '/:id',
  describe({ tag: TAG, summary: 'Delete a query design', responses: { 200: { description: 'Deleted.', schema: QueryDesignDeletedSchema } } }),
  designId,
  async (c) => c.json(await queryDesignStoreFor(c).delete(c.req.valid('param').id)),
);

export const queryDesignApi = new Hono<AppEnv>();
queryDesignApi.route('/api/query-designs', api);
