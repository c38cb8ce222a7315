/**
 * The `next` parameter of /login: where to go after logging in. Only a local
 * path is accepted, so a crafted link cannot bounce a fresh session to another
 * site (open redirect). Anything doubtful falls back to the default page.
 */

export const DEFAULT_AFTER_LOGIN = '/admin/credentials';
const BASE = 'https://local.invalid';

/** `raw` if it is a same-site path (with optional query and fragment), else null. */
export function safeNextPath(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2000) return null;
  // Must be an absolute path, not "//host" (protocol-relative) nor "/\host",
  // which browsers treat like "//host".
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return null;
  // Control characters and backslashes are stripped or rewritten by URL parsers.
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) return null;
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    return null;
  }
  if (url.origin !== BASE) return null;
  // Never send a fresh login back to the login or logout endpoints.
  if (url.pathname === '/login' || url.pathname === '/logout') return null;
  return url.pathname + url.search + url.hash;
}

export function afterLoginPath(raw: unknown): string {
  return safeNextPath(raw) ?? DEFAULT_AFTER_LOGIN;
}
