/**
 * The Hono app's frame: secure headers, config and DB per request,
 * authentication, the request-body limit, CSRF for pages, then each domain's
 * routes. It names no feature: src/index.ts hands it every part (AppParts).
 * Until the bindings validate, every route except the public ones
 * (`/api/health`) answers 500 `CONFIG_INVALID`.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { NONCE, secureHeaders } from 'hono/secure-headers';
import type { AppEnv } from './types.ts';
import { errorHandler, type ErrorPageRenderer } from './errors.ts';
import { csrfProtection } from './csrf.ts';
import { requestId } from './request-id.ts';
import { bodyLimits } from './body-limit.ts';
import { loadConfig } from '../config.ts';
import { openDb } from '../db/client.ts';
import { VaultError } from '../errors.ts';
import { OPENAPI_PATH, openApiDocument } from '../schema/openapi.ts';
import { describe } from '../schema/spec.ts';

/** A Content-Security-Policy in hono/secure-headers' form. */
type ContentSecurityPolicy = NonNullable<Exclude<Parameters<typeof secureHeaders>[0], undefined>['contentSecurityPolicy']>;

/** What the app is made of; src/index.ts hands every part over (the one composition root). */
interface AppParts {
  /** Routes that answer before config and authentication (health): they work while the bindings are invalid. */
  publicRoutes?: Hono<AppEnv>[];
  /** Sets `c.var.principal` (or leaves it unset) from the request's credentials; runs after config and DB. */
  authenticate: MiddlewareHandler<AppEnv>;
  /** App-level middleware mounted after authentication and CSRF, before every route, in order. */
  middleware?: MiddlewareHandler<AppEnv>[];
  /** Route modules mounted after authentication and CSRF, in order. */
  routes: Hono<AppEnv>[];
  renderErrorPage?: ErrorPageRenderer;
  /** A page that needs its own Content-Security-Policy instead of the strict one (the API reference). */
  cspOverride?: { path: string; policy: ContentSecurityPolicy };
}

export function createApp(parts: AppParts): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError(errorHandler(parts.renderErrorPage));
  app.notFound((c) => {
    throw new VaultError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`);
  });
  // First of all: every response, error and 404 included, carries the request's id.
  app.use('*', requestId());
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
  const override = parts.cspOverride;
  const overrideHeaders = override && secureHeaders({ contentSecurityPolicy: override.policy, referrerPolicy: 'no-referrer' });
  app.use('*', (c, next) => (overrideHeaders && c.req.path === override.path ? overrideHeaders : strictHeaders)(c, next));
  app.use('*', async (c, next) => {
    c.header('Cache-Control', 'no-store');
    c.set('banners', []);
    await next();
  });
  for (const r of parts.publicRoutes ?? []) app.route('/', r);
  // The API's contract, derived from this very router (schema/openapi.ts); built once per isolate.
  let document: Record<string, unknown> | undefined;
  app.get(
    OPENAPI_PATH,
    describe({
      tag: 'meta',
      summary: 'This OpenAPI 3.1 document',
      public: true,
      includeInSchema: false,
      responses: { 200: { description: 'The document.' } },
    }),
    (c) => {
      document ??= openApiDocument(app);
      return c.json(document);
    },
  );
  app.use('*', async (c, next) => {
    c.set('config', await loadConfig(c.env));
    c.set('db', openDb(c.env.DB));
    await next();
  });
  app.use('*', parts.authenticate);
  // Before the CSRF check (it parses form bodies) and every route. Health
  // routes above take no body; after config so a page's 413 is the error page.
  app.use('*', bodyLimits());
  app.use('*', csrfProtection());
  for (const m of parts.middleware ?? []) app.use('*', m);
  for (const r of parts.routes) app.route('/', r);
  return app;
}
