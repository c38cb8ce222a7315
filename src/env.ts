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
}
