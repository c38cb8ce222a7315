/**
 * The Hono app: config and DB per request, authentication, then each domain's
 * routes. Until the bindings validate, every route except `/api/health`
 * answers 500 `CONFIG_INVALID`.
 */
import { Hono } from 'hono';
import type { AppEnv } from './types.ts';
import { errorHandler, type ErrorPageRenderer } from './errors.ts';
import { loadConfig } from '../config.ts';
import { openDb } from '../db/client.ts';
import { authenticate } from '../auth/middleware.ts';
import { healthRoutes } from '../health/routes.ts';
import { VaultError } from '../errors.ts';

export interface AppParts {
  /** Route modules mounted after authentication, in order. */
  routes: Hono<AppEnv>[];
  renderErrorPage?: ErrorPageRenderer;
}

export function createApp(parts: AppParts = { routes: [] }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler(parts.renderErrorPage));
  app.notFound((c) => {
    throw new VaultError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`);
  });
  app.route('/', healthRoutes);
  app.use('*', async (c, next) => {
    c.set('config', await loadConfig(c.env));
    c.set('db', openDb(c.env.DB));
    await next();
  });
  app.use('*', authenticate());
  for (const r of parts.routes) app.route('/', r);
  return app;
}
