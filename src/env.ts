import type { BindingName } from './config.ts';

/** The Worker's bindings (wrangler.toml and `wrangler secret put`). */
export interface Env {
  DB: D1Database;
  POOL: DurableObjectNamespace;
  ROTATION: DurableObjectNamespace;
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
  /** `password` (default) or `strong`: under strong an admin needs a passkey, recovery code or SSO sign-in for admin work. */
  ADMIN_SIGN_IN?: string;
  /** The origin users reach (e.g. https://vault.example.org): the WebAuthn origin and RP ID; default the request's origin. */
  PUBLIC_URL?: string;
}

/** The names of Env's string bindings. */
type StringBindings<T> = { [K in keyof T]-?: NonNullable<T[K]> extends string ? K : never }[keyof T];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/**
 * tsc fails here when Env's string bindings and `BINDINGS` (src/config.ts)
 * differ: the Deno edition takes its list of settings (each with a `_FILE`
 * form) from `BINDINGS`, so a binding added only here would go unread.
 */
export type EnvStringsAreBindings = Assert<Same<StringBindings<Env>, BindingName>>;
