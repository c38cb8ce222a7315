/** Static assets, the root redirect and the HTML error page. */
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../http/types.ts';
import type { VaultError } from '../errors.ts';
import { APP_CSS } from './styles.ts';
import { renderPage } from './page.tsx';

export const uiRoutes = new Hono<AppEnv>();

uiRoutes.get('/assets/app.css', (c) => {
  c.header('Content-Type', 'text/css; charset=utf-8');
  c.header('Cache-Control', 'public, max-age=3600');
  return c.body(APP_CSS);
});

uiRoutes.get('/', (c) => c.redirect(c.var.principal ? '/admin/credentials' : '/login', 302));

export function renderErrorPage(c: Context<AppEnv>, e: VaultError): Response | Promise<Response> {
  if (!c.var.config) {
    // Misconfigured: no layout extras, just the safe message.
    return c.html(
      `<!doctype html><title>arena-vault: configuration error</title><main><h1>Configuration error</h1><p>${escapeHtml(e.message)}</p></main>`,
      e.status as 500,
    );
  }
  return renderPage(
    c,
    'Error',
    <div class="card">
      <h1>
        {e.code === 'POOL_SYNC_PENDING'
          ? 'Saved, not yet in force'
          : e.status === 404
            ? 'Not found'
            : e.status === 403
              ? 'Not allowed'
              : 'Something went wrong'}
      </h1>
      <p>{e.message}</p>
      {c.var.requestId && (
        <p class="hint">
          Request id (for the logs): <code>{c.var.requestId}</code>
        </p>
      )}
      <p>
        <a href="/admin/credentials">Back to the vault</a>
      </p>
    </div>,
    { status: e.status },
  );
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
