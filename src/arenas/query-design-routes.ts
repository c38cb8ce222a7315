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
import { VaultError } from '../errors.ts';
import { QueryDesignStore } from './query-design-store.ts';
import { parseDesignId, parseQueryDesign } from './query-design-input.ts';

export function queryDesignStoreFor(c: Context<AppEnv>): QueryDesignStore {
  return new QueryDesignStore(c.var.db, c.var.principal!, c.req.header('cf-connecting-ip') ?? null);
}

function pageParam(raw: string | undefined, fallback: number, max: number, name: string): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]{1,9}$/.test(raw) || Number(raw) > max) {
    throw new VaultError('VALIDATION_FAILED', `${name} must be a whole number from 0 to ${max}.`, { details: { field: name } });
  }
  return Number(raw);
}

const api = new Hono<AppEnv>();
api.use('*', requireUser());

api.get('/', async (c) => {
  const limit = Math.max(1, pageParam(c.req.query('limit'), 100, 200, 'limit'));
  const offset = pageParam(c.req.query('offset'), 0, 1_000_000_000, 'offset');
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
