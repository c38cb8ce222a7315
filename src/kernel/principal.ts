/**
 * Who is making a request, however they authenticated, and what they may do.
 *
 * The permissions are worked out once, during authentication (auth/middleware.ts),
 * by `effectivePermissions` from the caller's channel, the user's (or key
 * owner's) current role and the key's scope. Every guard reads only
 * `principal.permissions`: no guard looks at `role`, `scope` or `via` itself,
 * so a lowered role cannot be honoured by one guard and ignored by another.
 * A caller that may do nothing (inactive owner, revoked or expired key, stale
 * token) gets no principal at all: that is decided in the middleware too.
 */
import { VaultError } from '../errors.ts';

export type Role = 'admin' | 'researcher';

/**
 * How a person signed in, carried in the session JWT (`method` claim, tokens.ts)
 * and on the principal. Everything but `password` is strong: phishing-resistant
 * (passkey), a single-use code standing in for one (recovery), or an identity
 * provider's own sign-in (oidc, Cloudflare access).
 */
export const SIGN_IN_METHODS = ['password', 'passkey', 'recovery', 'oidc', 'access'] as const;
export type SignInMethod = (typeof SIGN_IN_METHODS)[number];

export function isStrongMethod(method: SignInMethod): boolean {
  return method !== 'password';
}
export type ApiKeyScope = 'collector' | 'admin';

/**
 * - `user`: the signed-in features (own account, query designs);
 * - `admin`: everything an admin can do (credentials, users, keys, rotation, audit, recovery);
 * - `pool`: leasing plaintext credentials from the pool (machine keys only);
 * - `password`: changing one's own password (a person who proved who they are, never a key);
 * - `enroll`: registering one's own passkey (a person, never a key). The one
 *   thing an enrollment session may do (ADMIN_SIGN_IN=strong, see below).
 */
export type Permission = 'user' | 'admin' | 'pool' | 'password' | 'enroll';

export interface Principal {
  /** 'session' = cookie (browser), 'bearer' = JWT in Authorization, 'api_key' = machine key. */
  via: 'session' | 'bearer' | 'api_key';
  userId: number | null;
  /** Set for API keys only. */
  apiKeyId?: number;
  email?: string;
  /** How the person signed in (sessions and bearer tokens; absent for API keys). */
  method?: SignInMethod;
  /** isStrongMethod(method): false for a password sign-in and for API keys. */
  strong?: boolean;
  /** How the audit log names this actor, e.g. `user:3` or `api_key:Ab3dEf6hIj9k`. Never a secret. */
  actor: string;
  /**
   * The one answer every guard reads (see effectivePermissions). The role and
   * scope it was worked out from are deliberately not kept on the principal,
   * so nothing can decide on them instead.
   */
  permissions: ReadonlySet<Permission>;
}

type CallerFacts =
  /**
   * `strong`: signed in by anything but a password (isStrongMethod);
   * `adminSignIn`: the ADMIN_SIGN_IN policy (src/config.ts).
   */
  | { via: 'session' | 'bearer'; role: Role; strong: boolean; adminSignIn: 'password' | 'strong' }
  /** `ownerRole` is null for a service key (no user); an inactive owner never gets here. */
  | { via: 'api_key'; scope: ApiKeyScope; ownerRole: Role | null };

/**
 * The role a caller acts with: a user's own role; for a key, its scope, but
 * never more than its owner's current role (an admin-scope key of an admin
 * who was demoted acts as a researcher). A service key acts with its scope.
 */
function effectiveRole(f: CallerFacts): Role {
  if (f.via !== 'api_key') return f.role;
  if (f.scope !== 'admin') return 'researcher';
  return f.ownerRole === null || f.ownerRole === 'admin' ? 'admin' : 'researcher';
}

/**
 * What the caller may do:
 * - a browser session or a user's bearer token: `user`, `password` and
 *   `enroll`, plus `admin` for an admin; never `pool` (a person never
 *   receives a plaintext credential from the pool);
 * - under ADMIN_SIGN_IN=strong, an admin signed in with the password alone:
 *   an enrollment session, `enroll` only (register a passkey, see the account
 *   page); admin work needs a passkey, recovery code or SSO sign-in;
 * - a collector key: `pool` only;
 * - an admin-scope key that acts as an admin (owner still an admin, or a
 *   service key): `user`, `admin` and `pool`;
 * - an admin-scope key whose owner was demoted: `user` only, like the owner.
 */
export function effectivePermissions(f: CallerFacts): ReadonlySet<Permission> {
  const role = effectiveRole(f);
  if (f.via !== 'api_key') {
    if (isEnrollmentOnly(f)) return new Set<Permission>(['enroll']);
    return new Set<Permission>(role === 'admin' ? ['user', 'admin', 'password', 'enroll'] : ['user', 'password', 'enroll']);
  }
  if (f.scope === 'collector') return new Set<Permission>(['pool']);
  return new Set<Permission>(role === 'admin' ? ['user', 'admin', 'pool'] : ['user']);
}

/** An admin's password-only sign-in under ADMIN_SIGN_IN=strong: it may only enroll a passkey. */
export function isEnrollmentOnly(f: { role: Role; strong: boolean; adminSignIn: 'password' | 'strong' }): boolean {
  return f.role === 'admin' && f.adminSignIn === 'strong' && !f.strong;
}

/** The principal of a signed-in person (a session cookie, a bearer token, or a Cloudflare Access assertion). */
export function personPrincipal(
  user: { id: number; email: string; role: Role },
  via: 'session' | 'bearer',
  method: SignInMethod,
  /** The ADMIN_SIGN_IN policy (config.adminSignIn). */
  adminSignIn: 'password' | 'strong',
): Principal {
  return {
    via,
    userId: user.id,
    email: user.email,
    method,
    strong: isStrongMethod(method),
    actor: `user:${user.id}`,
    permissions: effectivePermissions({ via, role: user.role, strong: isStrongMethod(method), adminSignIn }),
  };
}

export function can(p: Principal | undefined, permission: Permission): boolean {
  return p?.permissions.has(permission) ?? false;
}

const FORBIDDEN_MESSAGE: Record<Permission, string> = {
  user: 'You do not have permission to do this.',
  admin: 'You do not have permission to do this.',
  pool: 'Only API keys with the collector scope (or an admin key acting for an admin) may use the pool.',
  password: 'Log in as the user to change their password.',
  enroll: 'Only a signed-in person may register a passkey.',
};

/**
 * Why `p` may not do `permission` over the API (401 without a principal, 403
 * without the permission), or null when it may: the one refusal rule. The
 * guards (http/guards.ts) and the pool object, for the keys it
 * authenticates itself (pool/caller-auth.ts), both answer these very errors.
 */
export function apiRefusal(p: Principal | undefined, permission: Permission): VaultError | null {
  if (!p) {
    return new VaultError(
      'UNAUTHENTICATED',
      permission === 'pool' ? 'Authentication required: send Authorization: ApiKey <collector key>.' : 'Authentication required.',
    );
  }
  return can(p, permission) ? null : new VaultError('FORBIDDEN', FORBIDDEN_MESSAGE[permission]);
}

/** Shorthand for `can(p, 'admin')`, for pages that show admin-only parts. */
export function isAdmin(p: Principal | undefined): boolean {
  return can(p, 'admin');
}

/** Who did it and from where, for the audit log: the one Actor (users, API keys, recovery, …). */
export interface Actor {
  /** `user:<id>`, `api_key:<prefix>`, `script:<name>` or a system actor. */
  actor: string;
  ip?: string | null;
}
