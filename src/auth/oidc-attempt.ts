/**
 * The pending OIDC attempt (state, nonce, PKCE verifier, next) between
 * `GET /login/oidc` and its callback, kept in the browser that started it:
 * a JWT signed with the current SECRET_KEY (HS256, its own audience, so it is
 * never a session and a session is never an attempt), valid for 10 minutes,
 * in an HttpOnly, Secure, SameSite=Lax cookie (the provider's redirect back
 * is a cross-site top-level GET, which Lax lets through and Strict would
 * not). The callback deletes the cookie whatever the outcome, so an attempt
 * is used once; a second callback finds none.
 */
import { SignJWT, jwtVerify } from 'jose';
import type { Config } from '../config.ts';
import type { PendingOidc } from './oidc.ts';

export const OIDC_ATTEMPT_COOKIE = '__Host-av_oidc';
export const OIDC_ATTEMPT_SECONDS = 600;
const AUDIENCE = 'arena-vault:oidc-attempt';

export function attemptCookieOptions(maxAgeSeconds = OIDC_ATTEMPT_SECONDS) {
  return { path: '/', httpOnly: true, secure: true, sameSite: 'Lax' as const, maxAge: maxAgeSeconds };
}

export async function sealAttempt(config: Config, pending: PendingOidc, nowSeconds = Math.floor(Date.now() / 1000)): Promise<string> {
  const key = config.signingKeys.current;
  return new SignJWT({ st: pending.state, no: pending.nonce, cv: pending.verifier, nx: pending.next })
    .setProtectedHeader({ alg: 'HS256', kid: key.kid })
    .setAudience(AUDIENCE)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + OIDC_ATTEMPT_SECONDS)
    .sign(key.secret);
}

/** The attempt in a cookie value, or null when it is missing, forged, expired or malformed. */
export async function openAttempt(config: Config, value: string | undefined): Promise<PendingOidc | null> {
  if (!value || value.length > 4096) return null;
  try {
    const { payload } = await jwtVerify(
      value,
      (header) => {
        const key = config.signingKeys.keyFor(header.kid);
        if (!key) throw new Error('unknown kid');
        return key.secret;
      },
      { audience: AUDIENCE, algorithms: ['HS256'], requiredClaims: ['exp'] },
    );
    const { st, no, cv, nx } = payload;
    if (typeof st !== 'string' || typeof no !== 'string' || typeof cv !== 'string') return null;
    return { state: st, nonce: no, verifier: cv, next: typeof nx === 'string' ? nx : null };
  } catch {
    return null;
  }
}
