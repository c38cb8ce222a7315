/**
 * Access tokens: HS256 JWTs (jose) signed with the current SECRET_KEY and
 * verified with whichever ring key the header's `kid` names. The algorithm is
 * pinned; anything else, an unknown kid, a bad signature, wrong aud/iss or an
 * expired token (beyond a small leeway) fails as `UNAUTHENTICATED`.
 * Checks against the user row (`ver`, is_active) are the middleware's job.
 *
 * `issueAccessToken` is the one function that issues a session (cookie or
 * bearer): every sign-in path (password, passkey, recovery code, OIDC,
 * Cloudflare Access) and the sliding renewal call it with the sign-in
 * `method`, which the token carries as the `method` claim. A token without
 * the claim (issued before it existed) reads as `password`, the weak one.
 */
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { VaultError } from '../errors.ts';
import type { Config } from '../config.ts';
import { SIGN_IN_METHODS, type Role, type SignInMethod } from '../kernel/principal.ts';

export const TOKEN_AUDIENCE = 'arena-vault';
export const TOKEN_ISSUER = 'arena-vault';
export const CLOCK_LEEWAY_SECONDS = 30;

interface AccessClaims {
  sub: string;
  role: Role;
  ver: number;
  method: SignInMethod;
  iat: number;
  exp: number;
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
  expiresAt: number;
  kid: string;
}

export async function issueAccessToken(
  config: Config,
  user: { id: number; role: Role; tokenVersion: number },
  method: SignInMethod,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<IssuedToken> {
  const key = config.signingKeys.current;
  const expiresIn = config.accessTokenMinutes * 60;
  const token = await new SignJWT({ role: user.role, ver: user.tokenVersion, method })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.kid })
    .setSubject(String(user.id))
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + expiresIn)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuer(TOKEN_ISSUER)
    .sign(key.secret);
  return { token, expiresIn, expiresAt: nowSeconds + expiresIn, kid: key.kid };
}

function unauthenticated(reason: string): VaultError {
  return new VaultError('UNAUTHENTICATED', 'Authentication required: the token is invalid or expired.', { logDetail: reason });
}

export async function verifyAccessToken(config: Config, token: string, nowSeconds?: number): Promise<AccessClaims> {
  let kidSeen: string | undefined;
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        kidSeen = header.kid;
        const key = config.signingKeys.keyFor(header.kid);
        if (!key) throw unauthenticated('unknown kid');
        return key.secret;
      },
      {
        algorithms: ['HS256'],
        audience: TOKEN_AUDIENCE,
        issuer: TOKEN_ISSUER,
        clockTolerance: CLOCK_LEEWAY_SECONDS,
        requiredClaims: ['sub', 'exp', 'iat'],
        currentDate: nowSeconds === undefined ? undefined : new Date(nowSeconds * 1000),
      },
    );
    const sub = payload.sub;
    const role = payload.role;
    const ver = payload.ver;
    const method = payload.method ?? 'password';
    if (!sub || !/^\d+$/.test(sub)) throw unauthenticated('bad sub');
    if (role !== 'admin' && role !== 'researcher') throw unauthenticated('bad role');
    if (typeof ver !== 'number' || !Number.isInteger(ver)) throw unauthenticated('bad ver');
    if (!(SIGN_IN_METHODS as readonly unknown[]).includes(method)) throw unauthenticated('bad method');
    return { sub, role, ver, method: method as SignInMethod, iat: payload.iat!, exp: payload.exp! };
  } catch (e) {
    if (e instanceof VaultError) throw e;
    if (e instanceof joseErrors.JOSEError) throw unauthenticated(`${e.code}${kidSeen ? '' : ' (no kid)'}`);
    throw unauthenticated('malformed');
  }
}
