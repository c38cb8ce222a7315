/**
 * The lost-key banner: on every admin page an admin sees, when credential
 * rows sit under a key id missing from the ring, a banner names each missing
 * key id and how many rows it holds, linking to /admin/recovery. One grouped
 * COUNT over the key_id index per page view; if it fails, the page is served
 * without the banner (the app keeps serving everything else).
 *
 * App-level middleware (AppParts.middleware, mounted in src/index.ts): it runs
 * before every route, so no admin page can render before it, whatever the
 * order of the route modules.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { isAdmin } from '../kernel/principal.ts';
import { rowsPerKeyId } from '../credentials/repository.ts';

function isAdminPagePath(path: string): boolean {
  return path === '/admin' || path.startsWith('/admin/');
}

export function lostKeyBanner(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.req.method === 'GET' && isAdminPagePath(c.req.path) && isAdmin(c.var.principal) && c.var.principal?.via !== 'api_key') {
      try {
        const ring = c.var.config.credentialKeys;
        for (const [keyId, rows] of await rowsPerKeyId(c.env.DB)) {
          if (ring.statusOf(keyId) !== 'missing') continue;
          c.var.banners.push({
            level: 'error',
            text: `${rows} credential${rows === 1 ? ' is' : 's are'} encrypted under key ${keyId}, which is not in the key ring: ${rows === 1 ? 'it' : 'they'} cannot be decrypted or leased. Everything else keeps working.`,
            href: '/admin/recovery',
          });
        }
      } catch {
        // No banner rather than no page.
      }
    }
    await next();
  };
}
