/**
 * Authentication middleware. `authenticate` works out who is calling, from
 * (in order) `Authorization: ApiKey …`, `Authorization: Bearer …`, or the
 * session cookie, and sets `c.var.principal`; it never rejects by itself.
 * The guards that read the principal (`requireUser`, `requireAdmin`, …) live
 * in http/guards.ts, below every feature that mounts them.
 * A token is refused (no principal) when it fails verification (tokens.ts),
 * when its `ver` is below the user's token_version, or when the user is inactive.
 * With Cloudflare Access configured, a request without an Authorization
 * header that carries a valid `Cf-Access-Jwt-Assertion` (access.ts) is the
 * assertion's user (existing and active), sign-in method `access`; it takes
 * precedence over a session cookie (which is then not read at all) and, like
 * a cookie, authenticates a state-changing API call only from this origin.
 *
 * One seam for the pool's hot path: an `ApiKey` on `/api/pool/*` is not looked
 * up in D1 here. It is kept in `c.var.poolApiKey`, `requireCollector` lets it
 * on, and the CredentialPool object decides it against its working copy with
 * the same rule (apiKeyPrincipal) and the same refusals (principal.ts apiRefusal), so the
 * answers are the ones every other route gives (see isPoolPath, pool/routes.ts).
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../http/types.ts';
import { apiKeyByPrefixQuery, apiKeyOwnerIdSubquery, touchApiKey } from './api-key-repository.ts';
import { findUser, findUserByEmail, usersWithIdIn } from './users.ts';
import { ACCESS_ASSERTION_HEADER, verifyAccessAssertion } from './access.ts';
import { apiKeyPrefix } from './api-keys.ts';
import { apiKeyPrincipal } from './api-key-principal.ts';
import { issueAccessToken, verifyAccessToken } from './tokens.ts';
import { personPrincipal, type Principal } from '../kernel/principal.ts';
import { signingKeyUseStatement } from './signing-key-usage.ts';
import { isApiPath, isPoolPath } from '../kernel/paths.ts';

export const SESSION_COOKIE = '__Host-av_session';

/**
 * The session cookie's attributes: SameSite=Strict, except the cookie set by
 * the OIDC callback (Lax), which ends a redirect chain that began on the
 * provider's site, where a browser withholds a Strict cookie from the final
 * redirect. Forms still need their CSRF token and the API a same-origin
 * request, and the first renewal makes it Strict.
 */
export function sessionCookieOptions(maxAgeSeconds: number, sameSite: 'Strict' | 'Lax' = 'Strict') {
  return { path: '/', httpOnly: true, secure: true, sameSite, maxAge: maxAgeSeconds };
}

/**
 * A machine key, looked up in D1; the decision is apiKeyPrincipal's
 * (auth/api-key-principal.ts), the rule the pool object applies to its copy too.
 */
async function fromApiKey(c: Context<AppEnv>, key: string): Promise<Principal | undefined> {
  const prefix = apiKeyPrefix(key);
  if (!prefix) return undefined;
  // The key and its owner in one round trip (a service key's owner read finds nothing).
  const db = c.var.db;
  const [[row], [owner]] = await db.batch([apiKeyByPrefixQuery(db, prefix), usersWithIdIn(db, apiKeyOwnerIdSubquery(db, prefix))]);
  if (!row) return undefined;
  const principal = apiKeyPrincipal(key, row, owner ?? null, Date.now());
  if (!principal) return undefined;
  c.executionCtx.waitUntil(
    touchApiKey(c.var.db, row.id, Date.now()).then(
      () => undefined,
      () => undefined,
    ),
  );
  return principal;
}

async function fromJwt(c: Context<AppEnv>, token: string, via: 'session' | 'bearer'): Promise<Principal | undefined> {
  let claims;
  try {
    claims = await verifyAccessToken(c.var.config, token);
  } catch {
    return undefined;
  }
  const user = await findUser(c.var.db, Number(claims.sub));
  if (!user?.isActive || claims.ver < user.tokenVersion) return undefined;
  if (via === 'session') {
    // Sliding renewal: past half its life, the cookie is re-issued (always
    // under the current key, which is also how a key rotation moves sessions over).
    // The renewal keeps the sign-in method: a refresh proves nothing new.
    const nowMs = Date.now();
    const now = Math.floor(nowMs / 1000);
    if (now - claims.iat > (claims.exp - claims.iat) / 2) {
      const fresh = await issueAccessToken(c.var.config, user, claims.method, now);
      try {
        // Recorded before the cookie goes out, so /api/health never under-reports a key's use.
        await signingKeyUseStatement(c.var.db, fresh, nowMs);
        setCookie(c, SESSION_COOKIE, fresh.token, sessionCookieOptions(fresh.expiresIn));
      } catch {
        // Keep the current cookie; the next request tries the renewal again.
      }
    }
  }
  return personPrincipal(user, via, claims.method, c.var.config.adminSignIn);
}

/** The user of a valid Cloudflare Access assertion; sets `accessVerified` for the admin pages' wall. */
async function fromAccess(c: Context<AppEnv>): Promise<Principal | undefined> {
  const access = c.var.config.access;
  if (!access) return undefined;
  const email = await verifyAccessAssertion(access, c.req.header(ACCESS_ASSERTION_HEADER));
  if (!email) return undefined;
  c.set('accessVerified', true);
  const user = await findUserByEmail(c.var.db, email);
  if (!user?.isActive) return undefined;
  return personPrincipal(user, 'session', 'access', c.var.config.adminSignIn);
}

/**
 * The JSON API takes no CSRF token, so a cookie may authenticate a state-changing
 * API call only when the browser says it comes from this very origin
 * (Sec-Fetch-Site or Origin). Forms post to page routes, which check the token.
 */
function cookieMayAuthenticate(c: Context<AppEnv>): boolean {
  if (!isApiPath(c.req.path) || /^(GET|HEAD|OPTIONS)$/.test(c.req.method)) return true;
  if (c.req.header('sec-fetch-site') === 'same-origin') return true;
  return c.req.header('origin') === new URL(c.req.url).origin;
}

/** Sets `principal` when the request carries valid credentials. */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const [scheme, value] = header.split(/\s+/, 2) as [string, string | undefined];
    let principal: Principal | undefined;
    if (value && /^apikey$/i.test(scheme) && isPoolPath(c.req.path)) c.set('poolApiKey', value);
    else if (value && /^apikey$/i.test(scheme)) principal = await fromApiKey(c, value);
    else if (value && /^bearer$/i.test(scheme)) principal = await fromJwt(c, value, 'bearer');
    else if (cookieMayAuthenticate(c)) {
      principal = await fromAccess(c);
      const cookie = getCookie(c, SESSION_COOKIE);
      // A verified assertion decides who this is, even when its user may not sign in.
      if (!c.var.accessVerified && cookie) principal = await fromJwt(c, cookie, 'session');
    }
    if (principal) c.set('principal', principal);
    await next();
  };
}
