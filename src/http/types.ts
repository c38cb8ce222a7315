/** Hono generics shared by every route module. They name no feature: a feature's own request variable is declared by that feature (credentials/context.ts). */
import type { Env } from '../env.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/client.ts';
import type { Principal } from '../kernel/principal.ts';
import type { SecureHeadersVariables } from 'hono/secure-headers';

export interface Banner {
  level: 'warning' | 'error' | 'info';
  text: string;
  href?: string;
}

export type AppEnv = {
  Bindings: Env;
  Variables: SecureHeadersVariables & {
    config: Config;
    db: Db;
    principal?: Principal;
    /** An `ApiKey` presented on /api/pool/*: the pool object authenticates it (auth/middleware.ts, kernel/paths.ts isPoolPath). */
    poolApiKey?: string;
    /** A valid Cloudflare Access assertion came with the request (auth/access.ts; admin pages need it when Access is on). */
    accessVerified?: boolean;
    /** The form token for this browser (pages only; see http/csrf.ts). */
    csrfToken: string;
    /** Warnings shown on every admin page (e.g. the lost-key banner). */
    banners: Banner[];
    /** This request's id (http/request-id.ts): X-Request-Id, every log line, error.request_id. */
    requestId: string;
  };
};
