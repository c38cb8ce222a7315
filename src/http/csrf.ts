/**
 * CSRF protection for form posts (pages; the JSON API uses Authorization
 * headers, which browsers never send cross-site on their own).
 *
 * Two independent checks, both required on every non-API POST:
 *  1. Origin / Sec-Fetch-Site must be this site (hono/csrf);
 *  2. a hidden `csrf_token` field must equal HMAC(SECRET_KEY-derived key, the
 *     pre-session cookie `__Host-av_csrf`). The cookie is set on the first page
 *     view, before login, so the login form is protected too.
 * Tokens made under a previous SECRET_KEY still verify during a key overlap.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { csrf as originCheck } from 'hono/csrf';
import { getCookie, setCookie } from 'hono/cookie';
import { hmacSha256 } from '../crypto/hash.ts';
import { base64urlEncode, timingSafeEqual, utf8 } from '../crypto/encoding.ts';
import { VaultError } from '../errors.ts';
import type { AppEnv } from './types.ts';
import { isApiPath } from '../kernel/paths.ts';
import { CSRF_FIELD } from '../schema/validate.ts';

const CSRF_COOKIE = '__Host-av_csrf';

function tokenFor(secret: Uint8Array, cookie: string): string {
  const key = hmacSha256(secret, utf8.encode('arena-vault csrf v1'));
  return base64urlEncode(hmacSha256(key, utf8.encode(cookie)));
}

function ensureCookie(c: Context<AppEnv>): string {
  const existing = getCookie(c, CSRF_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{43}=?$/.test(existing)) return existing;
  const fresh = base64urlEncode(crypto.getRandomValues(new Uint8Array(32)));
  setCookie(c, CSRF_COOKIE, fresh, { path: '/', httpOnly: true, secure: true, sameSite: 'Strict' });
  return fresh;
}

/** Reads the form token out of a parsed body (urlencoded or multipart). */
async function submittedToken(c: Context<AppEnv>): Promise<string> {
  const ct = c.req.header('content-type') ?? '';
  if (!/application\/x-www-form-urlencoded|multipart\/form-data/i.test(ct)) return '';
  const body = await c.req.parseBody();
  const v = body[CSRF_FIELD];
  return typeof v === 'string' ? v : '';
}

/** Pages: sets `csrfToken`; on POST/PUT/PATCH/DELETE checks origin and token. */
export function csrfProtection(): MiddlewareHandler<AppEnv> {
  const origin = originCheck();
  return async (c, next) => {
    if (isApiPath(c.req.path)) return next();
    const cookie = ensureCookie(c);
    const ring = c.var.config.signingKeys;
    const current = tokenFor(ring.current.secret, cookie);
    c.set('csrfToken', current);
    if (/^(GET|HEAD|OPTIONS)$/.test(c.req.method)) return next();
    return origin(c, async () => {
      const sent = utf8.encode(await submittedToken(c));
      const ok = timingSafeEqual(sent, utf8.encode(current)) || ring.previous.some((k) => timingSafeEqual(sent, utf8.encode(tokenFor(k.secret, cookie))));
      if (!ok) throw new VaultError('CSRF_FAILED', 'This form has expired or was not sent from this site. Reload the page and try again.');
      await next();
    });
  };
}
