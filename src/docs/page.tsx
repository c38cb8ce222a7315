/**
 * GET /api/docs: the API reference, Swagger UI rendering /api/openapi.json.
 * Public (the document is), so it has its own small frame instead of the admin
 * layout and stylesheet: skip link, a header with the brand and links to the
 * raw document and back to the vault, and the main landmark Swagger UI renders into. Scripts and
 * styles are files from /assets/api-docs/ (src/docs/assets.ts), so the page's
 * CSP (src/docs/csp.ts) needs no inline script and no nonce. Without
 * JavaScript it points to the JSON document.
 */
import { Hono } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { apiDocsAsset } from './assets.ts';
import { API_DOCS_PATH } from './csp.ts';
import { OPENAPI_PATH } from '../schema/openapi.ts';
import { describe } from '../schema/spec.ts';

export const apiDocsRoutes = new Hono<AppEnv>();

function ApiDocsPage() {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>API reference · arena-vault</title>
        <link rel="stylesheet" href={apiDocsAsset('swagger-ui.css')} />
        <link rel="stylesheet" href={apiDocsAsset('api-docs.css')} />
        <script src={apiDocsAsset('swagger-ui-bundle.js')} defer></script>
        <script src={apiDocsAsset('init.js')} defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="top">
          <div class="bar">
            <a class="brand" href="/">
              arena-vault
            </a>
            <nav aria-label="API reference">
              <a href={OPENAPI_PATH}>OpenAPI document (JSON)</a>
              <a href="/">Back to the vault</a>
            </nav>
          </div>
        </header>
        <main id="main" tabindex={-1}>
          <div class="intro">
            <h1>API reference</h1>
            <p>
              Every <code>/api</code> route of the vault. Machine-readable: <a href={OPENAPI_PATH}>{OPENAPI_PATH}</a> (OpenAPI 3.1, no login needed).
            </p>
            <noscript>
              <p>
                This page needs JavaScript to draw the reference. The document itself is at <a href={OPENAPI_PATH}>{OPENAPI_PATH}</a>.
              </p>
            </noscript>
          </div>
          <div id="swagger-ui" data-openapi-url={OPENAPI_PATH}></div>
        </main>
      </body>
    </html>
  );
}

apiDocsRoutes.get(
  API_DOCS_PATH,
  describe({
    tag: 'meta',
    summary: 'This API reference (Swagger UI over /api/openapi.json)',
    public: true,
    includeInSchema: false,
    responses: { 200: { description: 'An HTML page.', contentType: 'text/html' } },
  }),
  (c) => c.html(`<!doctype html>${<ApiDocsPage />}`),
);
