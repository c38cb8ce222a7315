/**
 * The pool's working copy follows D1 (pool/copy-sync.ts): every
 * state-changing request made with admin permission — the only callers that
 * can change credentials, API keys, users, recoveries or rotations — ends by
 * asking the pool to catch up with D1 (`syncAfterWrite`) BEFORE the response
 * goes out. So a credential edited, deactivated or deleted, a key created or
 * revoked, an owner demoted or deactivated counts from the very next pool
 * request, without a notifier call in each store: the triggers on D1 mark
 * every such write, whoever makes it, and this one middleware (mounted once,
 * in src/index.ts) brings the copy up.
 *
 * When the pool cannot confirm (D1 unreadable for it, the object unreachable),
 * a write that succeeded does NOT answer as if it took effect: it answers
 * 503 POOL_SYNC_PENDING, "saved, not yet in force for collectors" — the API
 * as JSON, the admin pages as the error page. The pool itself refuses to hand
 * anything out (503 POOL_UNAVAILABLE) from a copy it knows to be behind,
 * until a sync succeeds (pool/copy-sync.ts). A write that failed keeps its
 * own error. Pool requests themselves and reads (GET/HEAD/OPTIONS) are left
 * alone.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { isPoolPath } from '../kernel/paths.ts';
import { can } from '../kernel/principal.ts';
import { pool } from './client.ts';
import { VaultError } from '../errors.ts';
import { errorName, logLine } from '../kernel/log.ts';
import { BEHIND_RETRY_AFTER_SECONDS } from './copy-sync.ts';

/** The answer to a write that is saved in D1 but not confirmed in the pool's copy. */
export function syncPending(): VaultError {
  return new VaultError(
    'POOL_SYNC_PENDING',
    'The change is saved, but it is not yet in force for collectors: the credential pool could not confirm it. ' +
      'The pool hands out nothing until it has caught up; it retries by itself. Check the change before you repeat it.',
    { retryAfter: BEHIND_RETRY_AFTER_SECONDS },
  );
}

export function poolCopyFollowsWrites(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (/^(GET|HEAD|OPTIONS)$/.test(c.req.method) || isPoolPath(c.req.path) || !can(c.var.principal, 'admin')) return;
    try {
      await pool(c.env).syncAfterWrite();
    } catch (e) {
      // The code alone (a VaultError's, else the error's name): a message could quote what the sync read.
      logLine('warn', { event: 'pool.sync_after_write_failed', path: c.req.path, code: errorName(e) }, c.var.requestId);
      // A write that failed answers its own error; one that succeeded must not answer as if it took effect.
      if (c.error === undefined && c.res.status < 400) throw syncPending();
    }
  };
}
