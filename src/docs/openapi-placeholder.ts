/**
 * PLACEHOLDER, to be deleted when issue 13 §2 lands: the real
 * GET /api/openapi.json is generated from the route schemas. Until then the
 * API reference page (/api/docs) renders this tiny, valid OpenAPI 3.1
 * document. Wired by one line in src/index.ts.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';

export const openApiPlaceholderRoutes = new Hono<AppEnv>();

openApiPlaceholderRoutes.get('/api/openapi.json', (c) =>
  c.json({
    openapi: '3.1.0',
    info: { title: 'arena-vault API', version: '0.1.0', description: 'Placeholder until the generated document lands.' },
    paths: {
      '/api/health': {
        get: {
          summary: 'Configuration, D1 and key health',
          responses: { '200': { description: 'Healthy or degraded' }, '503': { description: 'Configuration invalid or D1 unreachable' } },
        },
      },
    },
  }),
);
