// Global (no top-level import/export): types `env` from cloudflare:test.
// Keep in step with src/env.ts.
declare namespace Cloudflare {
  interface Env {
    DB: D1Database;
    POOL: DurableObjectNamespace;
    ROTATION: DurableObjectNamespace;
    SECRET_KEY?: string;
    SECRET_KEY_PREVIOUS?: string;
    CREDENTIAL_ENCRYPTION_KEY?: string;
    CREDENTIAL_ENCRYPTION_KEY_PREVIOUS?: string;
    ACCESS_TOKEN_EXPIRE_MINUTES?: string;
    TEST_MIGRATIONS: import('cloudflare:test').D1Migration[];
  }
}
