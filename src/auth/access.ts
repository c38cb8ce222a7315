/**
 * Cloudflare Access (when ACCESS_TEAM_DOMAIN and ACCESS_AUD are set, see
 * kernel/sso-config.ts). Access puts a signed JWT in `Cf-Access-Jwt-Assertion` on
 * every request it lets through. `verifyAccessAssertion` checks it with jose
 * against `<team domain>/cdn-cgi/access/certs` (a remote JWKS, one per team
 * domain per isolate, so the keys are cached): RS256 only, `iss` equal to the
 * team domain exactly, `aud` including ACCESS_AUD, `exp` required and checked.
 * A verified assertion names the person by `email`; `authenticate`
 * (middleware.ts) signs in that user when the account exists and is active,
 * with the sign-in method `access`.
 *
 * `accessWall` is the second wall: with Access configured, an admin page
 * (`/admin/...`) answers 403 to any request without a valid assertion, even
 * with a valid session cookie, so Access never becomes a bypass of the vault's
 * own sign-in, nor the vault's sign-in a way around Access.
 * Any failure (bad token, unreachable JWKS) verifies nothing: fail closed.
 */
import type { MiddlewareHandler } from 'hono';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { AppEnv } from '../http/types.ts';
import { VaultError } from '../errors.ts';
import { isAdminPagePath } from '../kernel/paths.ts';
import type { AccessConfig } from '../kernel/sso-config.ts';
import { normalizeEmail } from './user-rules.ts';

export const ACCESS_ASSERTION_HEADER = 'cf-access-jwt-assertion';
const ASSERTION_MAX_LENGTH = 8192;

const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function keySetFor(teamDomain: string): ReturnType<typeof createRemoteJWKSet> {
  let set = keySets.get(teamDomain);
  if (!set) {
    set = createRemoteJWKSet(new URL('/cdn-cgi/access/certs', teamDomain), { timeoutDuration: 5000 });
    keySets.set(teamDomain, set);
  }
  return set;
}

/** The normalised email of a valid assertion, or null (never throws; logs nothing of the token). */
export async function verifyAccessAssertion(config: AccessConfig, assertion: string | undefined): Promise<string | null> {
  if (!assertion || assertion.length > ASSERTION_MAX_LENGTH) return null;
  try {
    const { payload } = await jwtVerify(assertion, keySetFor(config.teamDomain), {
      issuer: config.teamDomain,
      audience: config.aud,
      algorithms: ['RS256'],
      requiredClaims: ['exp'],
    });
    return normalizeEmail(payload.email);
  } catch {
    return null;
  }
}

/** With Access configured, admin pages need a valid assertion (set by `authenticate` as `accessVerified`). */
export function accessWall(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.var.config.access && isAdminPagePath(c.req.path) && !c.var.accessVerified) {
      throw new VaultError('FORBIDDEN', 'This page is only reachable through Cloudflare Access.');
    }
    await next();
  };
}
