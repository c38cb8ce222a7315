import type { BindingName } from './config.ts';
import type { Assert, Same } from './kernel/types.ts';

/**
 * The Worker's bindings: those wrangler.toml declares, typed by `wrangler
 * types` (worker-configuration.d.ts, generated; `npm run typecheck` fails when
 * it is stale), so POOL and ROTATION know their classes; plus the secrets
 * (`wrangler secret put`), which wrangler.toml does not list.
 */
export interface Env extends Pick<WranglerBindings, 'DB' | 'POOL' | 'ROTATION'> {
  /** JWT signing secret: `openssl rand -hex 32` or `npm run generate-keys`. */
  SECRET_KEY?: string;
  /** Comma-separated older JWT secrets, verify only. */
  SECRET_KEY_PREVIOUS?: string;
  /** Fernet key for api_credentials.encrypted_value. */
  CREDENTIAL_ENCRYPTION_KEY?: string;
  /** Comma-separated older Fernet keys, decrypt only. */
  CREDENTIAL_ENCRYPTION_KEY_PREVIOUS?: string;
  /** Access token lifetime in minutes; default 30. */
  ACCESS_TOKEN_EXPIRE_MINUTES?: string;
  /**
   * TESTS ONLY: replaces every provider's origin in the live key check
   * (checks/provider-check.ts), keeping the path; /api/health warns while set.
   */
  PROVIDER_CHECK_ORIGIN?: string;
  /** "true": the cron's `runDailyChecks` checks every active credential with its provider once a day. */
  DAILY_PROVIDER_CHECKS?: string;
  /** `password` (default) or `strong`: under strong an admin needs a passkey, recovery code or SSO sign-in for admin work. */
  ADMIN_SIGN_IN?: string;
  /** The origin users reach (e.g. https://vault.example.org): the WebAuthn origin and RP ID; default the request's origin. */
  PUBLIC_URL?: string;
  /** OpenID Connect issuer (https; http only on loopback); set to enable single sign-on. */
  OIDC_ISSUER?: string;
  OIDC_CLIENT_ID?: string;
  /** The OIDC client's secret (`wrangler secret put OIDC_CLIENT_SECRET`). */
  OIDC_CLIENT_SECRET?: string;
  /** The label of the login page's SSO button. */
  OIDC_NAME?: string;
  /** Comma-separated email domains allowed to sign in with OIDC. */
  OIDC_ALLOWED_DOMAINS?: string;
  /** `researcher`: an unknown person gets an account; empty: only existing users. */
  OIDC_DEFAULT_ROLE?: string;
  /** Cloudflare Access team domain, an origin such as https://team.cloudflareaccess.com. */
  ACCESS_TEAM_DOMAIN?: string;
  /** The Access application's audience tag. */
  ACCESS_AUD?: string;
}

/** The names of Env's string bindings. */
type StringBindings<T> = { [K in keyof T]-?: NonNullable<T[K]> extends string ? K : never }[keyof T];
/**
 * tsc fails here when Env's string bindings and `BINDINGS` (src/config.ts)
 * differ: the Deno edition takes its list of settings (each with a `_FILE`
 * form) from `BINDINGS`, so a binding added only here would go unread.
 */
export type EnvStringsAreBindings = Assert<Same<StringBindings<Env>, BindingName>>;
