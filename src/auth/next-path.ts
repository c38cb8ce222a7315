/**
 * The `next` parameter of /login: where to go after logging in. It is
 * normalised once, here, into a path that is local by construction: the
 * result is rebuilt from the parsed URL's path, query and fragment, and always
 * starts with exactly one "/" followed by something other than "/" or "\", so
 * it can never be read as "//host" (protocol-relative) whatever spelling came
 * in (`/.//evil.example`, `/%2e//evil.example`, ...). Anything doubtful falls
 * back to the default page. The login form re-renders only this normalised
 * value, so its hidden field never holds a foreign URL either.
 */
import { isSingleLine } from '../schema/text.ts';

export const DEFAULT_AFTER_LOGIN = '/admin/credentials';
const BASE = 'https://local.invalid';

/** A same-site path (with optional query and fragment) for `raw`, or null. */
export function safeNextPath(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2000) return null;
  // Must be an absolute path, not "//host" (protocol-relative) nor "/\host",
  // which browsers treat like "//host".
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return null;
  // Control characters and backslashes are stripped or rewritten by URL parsers.
  if (!isSingleLine(raw) || raw.includes('\\')) return null;
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    return null;
  }
  if (url.origin !== BASE) return null;
  // Dot segments may have produced "//host" or "/\host": collapse the leading run.
  const path = `/${url.pathname.replace(/^[/\\]+/, '')}`;
  // Never send a fresh login back to the login or logout endpoints.
  if (path === '/login' || path === '/logout') return null;
  return path + url.search + url.hash;
}

export function afterLoginPath(raw: unknown): string {
  return safeNextPath(raw) ?? DEFAULT_AFTER_LOGIN;
}
