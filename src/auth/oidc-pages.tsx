/**
 * Single sign-on pages (OpenID Connect; 404 while OIDC_ISSUER is not set):
 *  - `GET /login/oidc?next=PATH` starts an attempt (oidc.ts), keeps it in the
 *    attempt cookie (oidc-attempt.ts) and redirects (303) to the provider;
 *  - `GET /login/oidc/callback` takes the provider's answer: the attempt
 *    cookie is deleted whatever happens (single use), the answer is checked
 *    (state, code with PKCE and the client secret, ID token with nonce and
 *    audience), the verified email signs in (sso-sign-in.ts, method `oidc`),
 *    and the session cookie (SameSite=Lax until its first renewal) is set with a 303 to `next`, through the same rule
 *    as the password login (next-path.ts). A failure shows the login page
 *    with a message that names no input, and is audited as
 *    `auth.login_failed` (detail: method, reason) — never the code or a token.
 * The redirect URI is this request's origin + `/login/oidc/callback`.
 */
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../http/types.ts';
import { VaultError } from '../errors.ts';
import { recordAudit } from '../audit/audit.ts';
import { clientIp } from '../http/request-context.ts';
import { afterLoginPath, safeNextPath } from './next-path.ts';
import { SESSION_COOKIE, sessionCookieOptions } from './middleware.ts';
import { beginOidc, finishOidc, OidcFailure } from './oidc.ts';
import { attemptCookieOptions, OIDC_ATTEMPT_COOKIE, openAttempt, sealAttempt } from './oidc-attempt.ts';
import { SsoRefusal, ssoSignIn } from './sso-sign-in.ts';
import { showForm } from './login-page.tsx';
import type { OidcConfig } from '../kernel/sso-config.ts';

export const oidcPages = new Hono<AppEnv>();

export const OIDC_CALLBACK_PATH = '/login/oidc/callback';

function oidcConfig(c: Context<AppEnv>): OidcConfig {
  const oidc = c.var.config.oidc;
  if (!oidc) throw new VaultError('NOT_FOUND', 'Single sign-on is not configured.');
  return oidc;
}

function redirectUri(c: Context<AppEnv>): string {
  return new URL(OIDC_CALLBACK_PATH, c.req.url).href;
}

oidcPages.get('/login/oidc', async (c) => {
  const oidc = oidcConfig(c);
  const next = safeNextPath(c.req.query('next'));
  try {
    const { url, pending } = await beginOidc(oidc, redirectUri(c), next);
    setCookie(c, OIDC_ATTEMPT_COOKIE, await sealAttempt(c.var.config, pending), attemptCookieOptions());
    return c.redirect(url.href, 303);
  } catch (e) {
    if (!(e instanceof OidcFailure)) throw e;
    return showForm(c, { next, error: e.message }, e.status);
  }
});

oidcPages.get(OIDC_CALLBACK_PATH, async (c) => {
  const oidc = oidcConfig(c);
  const pending = await openAttempt(c.var.config, getCookie(c, OIDC_ATTEMPT_COOKIE));
  deleteCookie(c, OIDC_ATTEMPT_COOKIE, { path: '/', secure: true });
  const ip = clientIp(c);
  try {
    if (!pending) throw new OidcFailure('state_mismatch');
    const identity = await finishOidc(oidc, redirectUri(c), new URL(c.req.url), pending);
    const { issued } = await ssoSignIn(
      c.var.db,
      c.var.config,
      identity,
      { method: 'oidc', allowedDomains: oidc.allowedDomains, defaultRole: oidc.defaultRole },
      ip,
    );
    // Lax: the redirect to `next` ends a chain that began on the provider's site (see sessionCookieOptions).
    setCookie(c, SESSION_COOKIE, issued.token, sessionCookieOptions(issued.expiresIn, 'Lax'));
    return c.redirect(afterLoginPath(pending.next), 303);
  } catch (e) {
    if (e instanceof OidcFailure) {
      const detail: Record<string, string> = { method: 'oidc', reason: e.reason };
      if (e.claim) detail.claim = e.claim;
      await recordAudit(c.var.db, { actor: 'anonymous', action: 'auth.login_failed', target: null, ip, detail });
      return showForm(c, { next: pending?.next ?? null, error: e.message }, e.status);
    }
    if (e instanceof SsoRefusal) return showForm(c, { next: pending?.next ?? null, error: e.message }, e.status);
    throw e;
  }
});
