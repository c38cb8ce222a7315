/**
 * The Hono app: secure headers, config and DB per request, authentication,
 * CSRF for pages, then each domain's routes. Until the bindings validate,
 * every route except `/api/health` answers 500 `CONFIG_INVALID`.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { NONCE, secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from './types.ts';
import { errorHandler, type ErrorPageRenderer } from './errors.ts';
import { csrfProtection } from './csrf.ts';
import { loadConfig } from '../config.ts';
import { openDb } from '../db/client.ts';
import { authenticate } from '../auth/middleware.ts';
import { healthRoutes } from '../health/routes.ts';
import { VaultError } from '../errors.ts';
import { OPENAPI_PATH, openApiDocument } from '../schema/openapi.ts';
import { describe } from '../schema/spec.ts';

export interface AppParts {
  /** App-level middleware mounted after authentication and CSRF, before every route, in order. */
  middleware?: MiddlewareHandler<AppEnv>[];
  /** Route modules mounted after authentication and CSRF, in order. */
  routes: Hono<AppEnv>[];
  renderErrorPage?: ErrorPageRenderer;
}

export function createApp(parts: AppParts = { routes: [] }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler(parts.renderErrorPage));
  app.notFound((c) => {
    throw new VaultError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`);
  });
  app.use(
    '*',
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        scriptSrc: [NONCE],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      referrerPolicy: 'no-referrer',
    }),
  );
  app.use('*', async (c, next) => {
    c.header('Cache-Control', 'no-store');
    c.set('banners', []);
    await next();
  });
  app.route('/', healthRoutes);
  // The API's contract, derived from this very router (schema/openapi.ts); built once per isolate.
  let document: Record<string, unknown> | undefined;
  app.get(
    OPENAPI_PATH,
    describe({ tag: 'meta', summary: 'This OpenAPI 3.1 document', public: true, responses: { 200: { description: 'The document.' } } }),
    (c) => c.json((document ??= openApiDocument(app))),
  );
  app.use('*', async (c, next) => {
    c.set('config', await loadConfig(c.env));
    c.set('db', openDb(c.env.DB));
    await next();
  });
  app.use('*', authenticate());
  app.use('*', csrfProtection());
  for (const m of parts.middleware ?? []) app.use('*', m);
  for (const r of parts.routes) app.route('/', r);
  return app;
}
