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
import { requireUser } from '../auth/middleware.ts';
import { readJsonObject } from '../http/errors.ts';
import { throwIfProblems, type FieldProblem } from '../schema/problems.ts';
import { intQueryParam } from '../schema/paging.ts';
import { QueryDesignStore } from './query-design-store.ts';
import { parseDesignId, parseQueryDesign } from './query-design-input.ts';

export function queryDesignStoreFor(c: Context<AppEnv>): QueryDesignStore {
  return new QueryDesignStore(c.var.db, c.var.principal!, c.req.header('cf-connecting-ip') ?? null);
}


const api = new Hono<AppEnv>();
api.use('*', requireUser());

api.get('/', async (c) => {
  const problems: FieldProblem[] = [];
  const limit = intQueryParam('limit', c.req.query('limit'), { min: 1, max: 200, default: 100 }, problems);
  const offset = intQueryParam('offset', c.req.query('offset'), { min: 0, max: Number.MAX_SAFE_INTEGER, default: 0 }, problems);
  throwIfProblems(problems);
  return c.json({ ...(await queryDesignStoreFor(c).list(limit, offset)), limit, offset });
});

api.post('/', async (c) => {
  const input = parseQueryDesign(await readJsonObject(c), false);
  return c.json(await queryDesignStoreFor(c).create(input), 201);
});

api.get('/:id', async (c) => c.json(await queryDesignStoreFor(c).get(parseDesignId(c.req.param('id')))));

const update = async (c: Context<AppEnv>) => {
  const id = parseDesignId(c.req.param('id'));
  const input = parseQueryDesign(await readJsonObject(c), true);
  return c.json(await queryDesignStoreFor(c).update(id, input));
};
api.patch('/:id', update);
api.put('/:id', update);

api.delete('/:id', async (c) => c.json(await queryDesignStoreFor(c).delete(parseDesignId(c.req.param('id')))));

export const queryDesignApi = new Hono<AppEnv>();
queryDesignApi.route('/api/query-designs', api);
