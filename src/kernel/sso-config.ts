/**
 * The single sign-on settings, validated at start-up with the other bindings
 * (config.ts calls parseSsoConfig; /api/health names a bad one):
 *  - OpenID Connect: OIDC_ISSUER (enables it), OIDC_CLIENT_ID, secret
 *    OIDC_CLIENT_SECRET, OIDC_NAME (the login button's label),
 *    OIDC_ALLOWED_DOMAINS (comma-separated email domains; empty: any) and
 *    OIDC_DEFAULT_ROLE (`researcher`: an unknown person gets an account; empty:
 *    only existing users). A default role needs an allow-list of domains.
 *  - Cloudflare Access: ACCESS_TEAM_DOMAIN (an origin) and ACCESS_AUD, both or
 *    neither.
 * An issuer or team domain must be https; plain http only for a loopback host
 * (127.0.0.1, localhost, [::1]), which is for tests and is flagged
 * (`loopbackHttp`) so the OIDC client allows insecure requests for that case only.
 * Problems name the binding, never its value.
 */
import type { Role } from './principal.ts';

export const SSO_BINDINGS = [
  'OIDC_ISSUER',
  'OIDC_CLIENT_ID',
  'OIDC_CLIENT_SECRET',
  'OIDC_NAME',
  'OIDC_ALLOWED_DOMAINS',
  'OIDC_DEFAULT_ROLE',
  'ACCESS_TEAM_DOMAIN',
  'ACCESS_AUD',
] as const;
export type SsoBindingName = (typeof SSO_BINDINGS)[number];

export interface OidcConfig {
  issuer: URL;
  clientId: string;
  clientSecret: string;
  /** The login button's label. */
  name: string;
  /** Lower-case email domains; empty: any domain. */
  allowedDomains: string[];
  /** The role of an account created at first sign-in, or null: only existing users. */
  defaultRole: Extract<Role, 'researcher'> | null;
  /** The issuer is plain http on a loopback host (tests only). */
  loopbackHttp: boolean;
}

export interface AccessConfig {
  /** The team domain's origin, exactly as the token's `iss`. */
  teamDomain: string;
  aud: string;
  loopbackHttp: boolean;
}

export interface SsoConfig {
  oidc: OidcConfig | null;
  access: AccessConfig | null;
}

export const DEFAULT_OIDC_NAME = 'Single sign-on';
const NAME_MAX = 60;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

type Report = (binding: SsoBindingName, problem: string) => void;

/** The URL when `value` is https, or http on a loopback host; otherwise a problem is reported. */
function secureUrl(value: string, binding: SsoBindingName, report: Report): { url: URL; loopbackHttp: boolean } | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    report(binding, 'is not a URL');
    return null;
  }
  if (url.username || url.password || url.search || url.hash) {
    report(binding, 'must not carry credentials, a query or a fragment');
    return null;
  }
  if (url.protocol === 'https:') return { url, loopbackHttp: false };
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)) return { url, loopbackHttp: true };
  report(binding, 'must be an https URL (plain http only for a loopback host: 127.0.0.1, localhost)');
  return null;
}

function parseOidc(raw: Partial<Record<SsoBindingName, string | undefined>>, report: Report): OidcConfig | null {
  const value = (b: SsoBindingName) => raw[b]?.trim() ?? '';
  const issuerText = value('OIDC_ISSUER');
  if (!issuerText) {
    for (const b of ['OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_ALLOWED_DOMAINS', 'OIDC_DEFAULT_ROLE'] as const) {
      if (value(b)) report(b, 'is set but OIDC_ISSUER is not; set OIDC_ISSUER to enable single sign-on, or remove it');
    }
    return null;
  }
  let ok = true;
  const fail: Report = (b, p) => {
    ok = false;
    report(b, p);
  };
  const issuer = secureUrl(issuerText, 'OIDC_ISSUER', fail);
  const clientId = value('OIDC_CLIENT_ID');
  if (!clientId) fail('OIDC_CLIENT_ID', 'is missing: it is required when OIDC_ISSUER is set');
  const clientSecret = value('OIDC_CLIENT_SECRET');
  if (!clientSecret) fail('OIDC_CLIENT_SECRET', 'is missing: it is required when OIDC_ISSUER is set');
  const name = value('OIDC_NAME') || DEFAULT_OIDC_NAME;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the button label must be one line without control characters
  if (name.length > NAME_MAX || /[\u0000-\u001f\u007f]/.test(name)) fail('OIDC_NAME', `must be one line of at most ${NAME_MAX} characters`);
  const allowedDomains = value('OIDC_ALLOWED_DOMAINS')
    .split(',')
    .map((d) => d.trim().toLowerCase())
    .filter((d) => d.length > 0);
  if (allowedDomains.some((d) => !DOMAIN.test(d))) fail('OIDC_ALLOWED_DOMAINS', 'must be a comma-separated list of email domains, such as example.edu');
  const role = value('OIDC_DEFAULT_ROLE');
  if (role && role !== 'researcher') fail('OIDC_DEFAULT_ROLE', 'must be researcher or empty (only existing users may sign in)');
  if (role && allowedDomains.length === 0) fail('OIDC_DEFAULT_ROLE', 'needs OIDC_ALLOWED_DOMAINS: accounts are created only for allowed domains');
  if (!ok || !issuer) return null;
  return {
    issuer: issuer.url,
    clientId,
    clientSecret,
    name,
    allowedDomains,
    defaultRole: role === 'researcher' ? 'researcher' : null,
    loopbackHttp: issuer.loopbackHttp,
  };
}

function parseAccess(raw: Partial<Record<SsoBindingName, string | undefined>>, report: Report): AccessConfig | null {
  const team = raw.ACCESS_TEAM_DOMAIN?.trim() ?? '';
  const aud = raw.ACCESS_AUD?.trim() ?? '';
  if (!team && !aud) return null;
  if (!team) {
    report('ACCESS_TEAM_DOMAIN', 'is missing: it is required when ACCESS_AUD is set');
    return null;
  }
  if (!aud) {
    report('ACCESS_AUD', 'is missing: it is required when ACCESS_TEAM_DOMAIN is set');
    return null;
  }
  const parsed = secureUrl(team, 'ACCESS_TEAM_DOMAIN', report);
  if (!parsed) return null;
  if (parsed.url.origin !== team) {
    report('ACCESS_TEAM_DOMAIN', 'must be an origin only, such as https://team.cloudflareaccess.com (no path, no trailing slash)');
    return null;
  }
  return { teamDomain: parsed.url.origin, aud, loopbackHttp: parsed.loopbackHttp };
}

/** Validates the SSO bindings; every problem goes to `report`, which names the binding only. */
export function parseSsoConfig(raw: Partial<Record<SsoBindingName, string | undefined>>, report: Report): SsoConfig {
  return { oidc: parseOidc(raw, report), access: parseAccess(raw, report) };
}

/** An email domain allowed by the list (empty: every domain). */
export function emailDomainAllowed(email: string, allowedDomains: readonly string[]): boolean {
  if (allowedDomains.length === 0) return true;
  const at = email.lastIndexOf('@');
  return at > 0 && allowedDomains.includes(email.slice(at + 1).toLowerCase());
}
