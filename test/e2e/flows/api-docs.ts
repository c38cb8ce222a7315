/**
 * The API reference (/api/docs) in Chromium: reached from the admin header;
 * Swagger UI, served as Workers Static Assets by wrangler dev, renders the
 * vault's OpenAPI document (its title and every path) under the page's own
 * CSP, with no CSP violation, no console error, and no request to anywhere
 * but the vault; the asset files carry the `_headers` the build wrote; then
 * the accessibility checks every page gets.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { clickToLoad, newContext } from '../browser.ts';
import { ROOT } from '../vault.ts';
import type { Suite } from '../suite.ts';
import { API_DOCS_ASSET_HEADERS, apiDocsAsset } from '../../../src/docs/assets.ts';

// Browser globals, used only inside page callbacks (the project's tsconfig has no DOM lib).
declare const document: any;
declare const window: any;

/** Drawn: Swagger UI has rendered the document's info block. */
export const API_DOCS_READY = '.swagger-ui .information-container .title';

export async function apiDocsFlows(s: Suite): Promise<void> {
  const { runner } = s;
  await runner.step('API reference: the admin header links to /api/docs', async () => {
    await s.page.goto(s.url('/admin/credentials'));
    await clickToLoad(s.page, s.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API reference', exact: true }));
    assert.equal(new URL(s.page.url()).pathname, '/api/docs');
    await s.page.locator(API_DOCS_READY).waitFor();
  });

  await runner.step('API reference: Swagger UI renders /api/openapi.json without login, under its own CSP, and nothing leaves 127.0.0.1', async () => {
    const doc = (await s.vault.api('GET', '/api/openapi.json')).json as { info: { title: string }; paths: Record<string, unknown> };
    assert.ok(doc?.info?.title && Object.keys(doc.paths).length > 0, 'the vault serves an OpenAPI document with paths');
    const ctx = await newContext(s.browser, s.recorder); // no cookies: an anonymous reader
    try {
      const page = await ctx.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning' || /content security policy/i.test(m.text())) problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      await page.addInitScript(() => {
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e: any) =>
          window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`),
        );
      });
      const res = await page.goto(s.url('/api/docs'));
      assert.equal(res?.status(), 200);
      const csp = (await res!.allHeaders())['content-security-policy'] ?? '';
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);

      await page.locator(API_DOCS_READY, { hasText: doc.info.title }).waitFor();
      await page.locator('.opblock-summary-path').first().waitFor();
      const shown = await page.locator('.opblock-summary-path').evaluateAll((els: any[]) => els.map((el) => el.getAttribute('data-path')));
      assert.deepEqual([...new Set(shown)].sort(), Object.keys(doc.paths).sort(), 'every path of the document is on the page');
      // Open one operation: its parameters and responses render too (more of Swagger UI's components run).
      await page.locator('.opblock-summary-control').first().click();
      await page.locator('.opblock-body .responses-wrapper').first().waitFor();
      assert.equal(await page.getByRole('button', { name: 'Try it out' }).count(), 0, 'a reference, not a console: no "Try it out"');
      await page.waitForLoadState('networkidle');
      // The document URL cannot be swapped from the address bar (queryConfigEnabled: false).
      await page.goto(s.url('/api/docs?url=https%3A%2F%2Fevil.example%2Fopenapi.json&configUrl=https%3A%2F%2Fevil.example%2Fc.json'));
      await page.locator(API_DOCS_READY, { hasText: doc.info.title }).waitFor();
      await page.waitForLoadState('networkidle');

      assert.deepEqual(await page.evaluate(() => window.__cspViolations), [], 'no CSP violation');
      assert.deepEqual(problems, [], 'no console error or warning');
      const base = `${s.base}/`;
      const outside = requests.filter((u) => !u.startsWith(base) && !u.startsWith('data:'));
      assert.deepEqual(outside, [], 'no request leaves the vault');
      for (const need of ['/api/docs', apiDocsAsset('swagger-ui-bundle.js'), apiDocsAsset('swagger-ui.css'), apiDocsAsset('init.js'), '/api/openapi.json']) {
        assert.ok(requests.includes(s.url(need)), `the page loaded ${need}`);
      }
      await s.shots.both(page, 'api-docs', { dark: true });
    } finally {
      await ctx.close();
    }
  });

  await runner.step('API reference: the Swagger UI files are static assets from npm, with the headers the build wrote', async () => {
    const res = await fetch(s.url(apiDocsAsset('swagger-ui-bundle.js')));
    assert.equal(res.status, 200);
    const body = await res.arrayBuffer();
    assert.equal(
      body.byteLength,
      statSync(path.join(ROOT, 'node_modules/swagger-ui-dist/swagger-ui-bundle.js')).size,
      'the pinned swagger-ui-dist file, unchanged',
    );
    assert.match(res.headers.get('content-type') ?? '', /javascript/);
    for (const [k, v] of Object.entries(API_DOCS_ASSET_HEADERS)) assert.equal(res.headers.get(k), v, k);
    const css = await fetch(s.url(apiDocsAsset('swagger-ui.css')));
    await css.body?.cancel();
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
  });

  // Our frame must pass every check; Swagger UI's own findings are printed at the end of the run (see a11y.ts).
  await runner.step('API reference: accessibility (axe, landmarks, keyboard) of the page, Swagger UI’s findings listed', () =>
    s.a11y('/api/docs', { anonymous: true, ready: API_DOCS_READY, thirdParty: '#swagger-ui' }),
  );
}
