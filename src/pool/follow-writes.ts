/**
 * The pool's working copy follows D1 (pool/durable-object.ts): every
 * state-changing request made with admin permission — the only callers that
 * can change credentials, API keys, users, recoveries or rotations — ends by
 * asking the pool to sync if D1's `pool_copy_version` moved, BEFORE the
 * response goes out. So a credential edited, deactivated or deleted, a key
 * created or revoked, an owner demoted or deactivated counts from the very
 * next pool request, without a notifier call in each store: the triggers of
 * migration 0050 count every such write, whoever makes it, and this one
 * middleware (mounted once, in src/index.ts) brings the copy up.
 *
 * Pool requests themselves and reads (GET/HEAD/OPTIONS) are left alone. If the
 * pool cannot be reached, the write still answers (it is committed) and the
 * failure is logged; the pool's alarm finds the version moved within
 * FLUSH_INTERVAL_MS of its next use, and an unknown key or an empty choice
 * checks at once.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { isPoolPath } from '../kernel/paths.ts';
import { can } from '../kernel/principal.ts';
import { pool } from './client.ts';
import { isVaultError } from '../errors.ts';
import { logLine } from '../kernel/log.ts';

export function poolCopyFollowsWrites(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    if (/^(GET|HEAD|OPTIONS)$/.test(c.req.method) || isPoolPath(c.req.path) || !can(c.var.principal, 'admin')) return;
    try {
      await pool(c.env).syncIfBehind();
    } catch (e) {
      // The code alone (a VaultError's, else the error's name): a message could quote what the sync read.
      const code = isVaultError(e) ? e.code : e instanceof Error ? e.name : 'unknown';
      logLine('warn', { event: 'pool.sync_after_write_failed', path: c.req.path, code }, c.var.requestId);
    }
  };
}
