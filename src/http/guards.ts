/**
 * The guards: `requirePermission` (and its names `requireUser`,
 * `requireAdmin`, `requireCollector`, `requirePasswordOwner`) rejects on the
 * principal's permissions alone (kernel/principal.ts), worked out once by
 * auth/middleware.ts `authenticate`: API paths with a 401/403 JSON error
 * (apiRefusal), pages with a redirect to `/login?next=…` (or 403). Shared by
 * every feature's routes, so it sits here, below them.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { VaultError } from '../errors.ts';
import type { AppEnv } from './types.ts';
import { apiRefusal, type Permission, type Principal } from '../kernel/principal.ts';
import { attachSpec } from '../schema/spec.ts';
import { isApiPath } from '../kernel/paths.ts';

/** Where an enrollment session is sent: the account page's passkey section (auth/passkeys-page.tsx). */
export const ENROLL_PAGE = '/account/passkeys';

/** A session that may do nothing but enroll a passkey. */
export function isEnrollmentSession(p: Principal): boolean {
  return p.permissions.size === 1 && p.permissions.has('enroll');
}

/** No principal: API paths get 401, pages a redirect to the login form. */
function unauthenticated(c: Context<AppEnv>): Response {
  if (isApiPath(c.req.path)) throw new VaultError('UNAUTHENTICATED', 'Authentication required.');
  const url = new URL(c.req.url);
  return c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303);
}

/**
 * The one guard: passes when the principal holds `permission` (worked out once
 * in `authenticate`, see principal.ts), else 401 (no principal) or 403. For
 * `pool`, an `ApiKey` deferred to the pool object (isPoolPath) passes here and
 * is decided there, with apiKeyPrincipal and apiRefusal.
 */
function requirePermission(permission: Permission): MiddlewareHandler<AppEnv> {
  return attachSpec<MiddlewareHandler<AppEnv>>(
    async (c, next) => {
      const p = c.var.principal;
      if (!p && permission === 'pool' && c.var.poolApiKey) return next();
      if (!p && permission !== 'pool') return unauthenticated(c);
      const refusal = apiRefusal(p, permission);
      // An enrollment session (ADMIN_SIGN_IN=strong) is guided to the page where it registers a passkey.
      if (refusal && p && isEnrollmentSession(p) && !isApiPath(c.req.path)) return c.redirect(ENROLL_PAGE, 303);
      if (refusal) throw refusal;
      await next();
    },
    { kind: 'guard', permission },
  );
}

/** Signed-in features: users and admin keys acting as a user; never collector keys. */
export const requireUser = () => requirePermission('user');
export const requireAdmin = () => requirePermission('admin');
/** Pool routes: a browser session or a user's bearer token never receives a plaintext credential. */
export const requireCollector = () => requirePermission('pool');
/** One's own password: people only (a session or a bearer token), never an API key. */
export const requirePasswordOwner = () => requirePermission('password');
/** Registering one's own passkey: a person; all an enrollment session (ADMIN_SIGN_IN=strong) may do. */
export const requireEnroll = () => requirePermission('enroll');
