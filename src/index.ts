/**
 * The arena-vault Worker: the HTTP app plus the Durable Object classes that
 * wrangler.toml binds (CredentialPool, KeyRotation).
 */
import { createApp } from './http/app.ts';
import type { Env } from './env.ts';
import { uiRoutes, renderErrorPage } from './ui/routes.tsx';
import { authRoutes } from './auth/routes.ts';
import { credentialRoutes } from './credentials/routes.ts';
import { auditRoutes } from './audit/routes.ts';
import { arenaRoutes } from './arenas/routes.ts';
import { poolRoutes } from './pool/routes.ts';
import { poolCopyFollowsWrites } from './pool/follow-writes.ts';
import { rotationRoutes } from './rotation/routes.ts';
import { recoveryRoutes } from './recovery/routes.ts';
import { apiDocsRoutes } from './docs/page.tsx';

export { CredentialPool } from './pool/durable-object.ts';
export { PoolEntrypoint } from './pool/entrypoint.ts';
export { KeyRotation } from './rotation/durable-object.ts';

export const app = createApp({
  // Admin writes bring the pool's working copy up to D1 before they answer.
  middleware: [poolCopyFollowsWrites()],
  // recoveryRoutes first: its lost-key banner middleware must run before any admin page renders.
  routes: [recoveryRoutes, uiRoutes, authRoutes, credentialRoutes, auditRoutes, arenaRoutes, poolRoutes, rotationRoutes, apiDocsRoutes],
  renderErrorPage,
});

export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
