/**
 * The arena-vault Worker: the HTTP app plus the Durable Object classes that
 * wrangler.toml binds (CredentialPool, KeyRotation), and the cron trigger's
 * `scheduled` handler (the alert checks).
 */
import { createApp } from './http/app.ts';
import type { Env } from './env.ts';
import { uiRoutes, renderErrorPage } from './ui/routes.tsx';
import { authRoutes } from './auth/routes.ts';
import { credentialRoutes } from './credentials/routes.ts';
import { auditRoutes } from './audit/routes.ts';
import { queryDesignApi } from './query-designs/routes.ts';
import { queryDesignPages } from './query-designs/pages.tsx';
import { arenaHealthRoutes } from './health/arena-routes.ts';
import { poolRoutes } from './pool/routes.ts';
import { poolCopyFollowsWrites } from './pool/follow-writes.ts';
import { credentialPoolNotifier } from './pool/client.ts';
import { lostKeyBanner } from './recovery/banner.ts';
import { rotationRoutes } from './rotation/routes.ts';
import { recoveryRoutes } from './recovery/routes.ts';
import { apiDocsRoutes } from './docs/page.tsx';
import { API_DOCS_CSP, API_DOCS_PATH } from './docs/csp.ts';
import { authenticate } from './auth/middleware.ts';
import { accessWall } from './auth/access.ts';
import { healthRoutes } from './health/routes.ts';
import { withCredentialPool } from './credentials/context.ts';
import { alertRoutes } from './alerts/routes.ts';
import { openAlertsBanner } from './alerts/banner.ts';
import { scheduledAlertChecks } from './alerts/scheduled.ts';
import { usageRoutes } from './usage/routes.ts';
import { checkRoutes } from './checks/routes.ts';
import { healthPageRoutes } from './dashboard/health-page.tsx';
import { credentialUsagePages } from './usage/credential-page.tsx';

export { CredentialPool } from './pool/durable-object.ts';
export { PoolEntrypoint } from './pool/entrypoint.ts';
export { KeyRotation } from './rotation/durable-object.ts';

/**
 * The app, assembled here and only here: every collaborator is handed over
 * explicitly (nothing registers itself when its module is imported).
 */
export const app = createApp({
  publicRoutes: [healthRoutes],
  authenticate: authenticate(),
  middleware: [
    // Behind Cloudflare Access, admin pages need a valid assertion: a second wall.
    accessWall(),
    // The credential store's reset-errors also clears the pool's cooldown and error streaks.
    withCredentialPool(credentialPoolNotifier),
    // Admin writes bring the pool's working copy up to D1 before they answer.
    poolCopyFollowsWrites(),
    // The lost-key banner, on every admin page, before any route renders.
    lostKeyBanner(),
    // The open-alerts banner, on every admin page but the alerts page itself.
    openAlertsBanner(),
  ],
  routes: [
    recoveryRoutes,
    uiRoutes,
    authRoutes,
    usageRoutes,
    checkRoutes,
    healthPageRoutes,
    credentialUsagePages,
    credentialRoutes,
    auditRoutes,
    queryDesignApi,
    queryDesignPages,
    arenaHealthRoutes,
    poolRoutes,
    rotationRoutes,
    alertRoutes,
    apiDocsRoutes,
  ],
  renderErrorPage,
  cspOverride: { path: API_DOCS_PATH, policy: API_DOCS_CSP },
});

export default {
  fetch: (request: Request, env: Env, ctx: ExecutionContext) => app.fetch(request, env, ctx),
  // The cron trigger (wrangler.toml [triggers]): the alert checks and the delivery outbox.
  scheduled: (controller: ScheduledController, env: Env, ctx: ExecutionContext) => ctx.waitUntil(scheduledAlertChecks(env, controller.scheduledTime)),
} satisfies ExportedHandler<Env>;
