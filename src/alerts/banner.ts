/**
 * The open-alerts banner: on every admin page an admin sees (not on
 * /admin/alerts itself, which lists them), when alerts are open, one banner
 * says how many (and how many are critical) and links to /admin/alerts. One
 * indexed read per page view; if it fails, the page is served without it.
 * App-level middleware, mounted in src/index.ts like the lost-key banner.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { isAdmin } from '../kernel/principal.ts';
import { listOpenAlerts } from './store.ts';

export function openAlertsBanner(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const path = c.req.path;
    const adminPage = path === '/admin' || (path.startsWith('/admin/') && !path.startsWith('/admin/alerts'));
    if (c.req.method === 'GET' && adminPage && isAdmin(c.var.principal) && c.var.principal?.via !== 'api_key') {
      try {
        const open = await listOpenAlerts(c.env.DB);
        if (open.length) {
          const critical = open.filter((a) => a.severity === 'critical').length;
          c.var.banners.push({
            level: critical ? 'error' : 'warning',
            text: `${open.length} open alert${open.length === 1 ? '' : 's'}${critical ? ` (${critical} critical)` : ''}: ${[...new Set(open.map((a) => a.kind))].join(', ')}.`,
            href: '/admin/alerts',
          });
        }
      } catch {
        // No banner rather than no page.
      }
    }
    await next();
  };
}
