/** Which part of the app a request path belongs to (used by http/ and auth/ alike). */

/** The REST API: JSON errors, no CSRF form token, no error page. */
export function isApiPath(path: string): boolean {
  return path === '/api' || path.startsWith('/api/');
}

/**
 * `/api/pool/*` is the collectors' hot path: an `ApiKey` there is NOT looked
 * up in D1. `authenticate` leaves it in `c.var.poolApiKey` and sets no
 * principal; `requireCollector` lets it on, and the CredentialPool object
 * authenticates it against its working copy within the same call that serves
 * the request (pool/routes.ts, apiKeyPrincipal). Bearer tokens and cookies on
 * pool paths are verified as anywhere else (and refused by the guard).
 */
export function isPoolPath(path: string): boolean {
  return path.startsWith('/api/pool/');
}

/** The admin pages (`/admin/...`): behind Cloudflare Access they need a valid assertion (auth/access.ts). */
export function isAdminPagePath(path: string): boolean {
  return path === '/admin' || path.startsWith('/admin/');
}
