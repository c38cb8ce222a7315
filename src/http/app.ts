/**
 * The Hono app: secure headers, config and DB per request, authentication,
 * the request-body limit, CSRF for pages, then each domain's routes. Until the bindings validate,
 * every route except `/api/health` answers 500 `CONFIG_INVALID`.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { NONCE, secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from './types.ts';
import type { Env } from '../env.ts';
import type { CredentialPoolNotifier } from '../credentials/store.ts';
import { errorHandler, type ErrorPageRenderer } from './errors.ts';
import { csrfProtection } from './csrf.ts';
import { bodyLimits } from './body-limit.ts';
import { loadConfig } from '../config.ts';
import { openDb } from '../db/client.ts';
import { authenticate } from '../auth/middleware.ts';
import { healthRoutes } from '../health/routes.ts';
import { VaultError } from '../errors.ts';
import { OPENAPI_PATH, openApiDocument } from '../schema/openapi.ts';
import { describe } from '../schema/spec.ts';
import { API_DOCS_CSP, API_DOCS_PATH } from '../docs/csp.ts';

export interface AppParts {
  /** App-level middleware mounted after authentication and CSRF, before every route, in order. */
  middleware?: MiddlewareHandler<AppEnv>[];
  /** Route modules mounted after authentication and CSRF, in order. */
  routes: Hono<AppEnv>[];
  renderErrorPage?: ErrorPageRenderer;
  /** The credential store's pool notifier for a request's bindings (c.var.credentialPool). */
  credentialPool?: (env: Env) => CredentialPoolNotifier;
}

export function createApp(parts: AppParts = { routes: [] }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler(parts.renderErrorPage));
  app.notFound((c) => {
    throw new VaultError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`);
  });
  const strictHeaders = secureHeaders({
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
  });
  // The one exception: the API reference page (Swagger UI) gets its own policy, src/docs/csp.ts.
  const apiDocsHeaders = secureHeaders({ contentSecurityPolicy: API_DOCS_CSP, referrerPolicy: 'no-referrer' });
  app.use('*', (c, next) => (c.req.path === API_DOCS_PATH ? apiDocsHeaders : strictHeaders)(c, next));
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
    (c) => {
      document ??= openApiDocument(app);
      return c.json(document);
    },
  );
  app.use('*', async (c, next) => {
    c.set('config', await loadConfig(c.env));
    c.set('db', openDb(c.env.DB));
    if (parts.credentialPool) c.set('credentialPool', parts.credentialPool(c.env));
    await next();
  });
  app.use('*', authenticate());
  // Before the CSRF check (it parses form bodies) and every route. Health
  // routes above take no body; after config so a page's 413 is the error page.
  app.use('*', bodyLimits());
  app.use('*', csrfProtection());
  for (const m of parts.middleware ?? []) app.use('*', m);
  for (const r of parts.routes) app.route('/', r);
  return app;
}
