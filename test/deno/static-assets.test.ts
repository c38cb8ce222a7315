// The API reference on the Deno edition: the page comes from the Worker with
// its own CSP, and its files from the static assets directory before the
// Worker runs (as Workers Static Assets on Cloudflare): only the named files,
// with the `_headers` values, HEAD without a body; anything else is the
// Worker's 404.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openVault, type Vault } from '../../selfhost/vault.ts';
import { API_DOCS_ASSET_HEADERS } from '../../src/docs/assets.ts';
import { TEST_CREDENTIAL_KEY, TEST_SECRET_KEY } from '../support/keys.ts';
import { withTempDir } from './support.ts';

async function withAssets(fn: (vault: Vault, dir: string) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    const assets = join(dir, 'public');
    await Deno.mkdir(join(assets, 'assets/api-docs'), { recursive: true });
    await Deno.writeTextFile(join(assets, 'assets/api-docs/init.js'), '// init\n');
    await Deno.writeTextFile(join(assets, 'assets/api-docs/swagger-ui.css'), '.swagger-ui{}\n');
    await Deno.writeTextFile(join(assets, 'assets/api-docs/stray.js'), '// not one of the page files\n');
    await Deno.writeTextFile(join(dir, 'secret.txt'), 'outside the assets directory\n');
    const vault = await openVault({
      env: { SECRET_KEY: TEST_SECRET_KEY, CREDENTIAL_ENCRYPTION_KEY: TEST_CREDENTIAL_KEY },
      databasePath: join(dir, 'vault.sqlite'),
      assetsDir: assets,
    });
    try {
      await fn(vault, dir);
    } finally {
      await vault.close();
    }
  });
}

const get = (vault: Vault, path: string, method = 'GET') => vault.fetch(new Request(`http://127.0.0.1${path}`, { method }));

Deno.test({
  name: 'Deno: /api/docs is the Worker page with its own CSP; its files come from the assets directory with the _headers values',
  sanitizeResources: false,
  fn: () =>
    withAssets(async (vault) => {
      const page = await get(vault, '/api/docs');
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<script src="\/assets\/api-docs\/init.js" defer=""><\/script>/);
      assert.match(page.headers.get('content-security-policy') ?? '', /^default-src 'none'; script-src 'self'; style-src 'self';/);

      const init = await get(vault, '/assets/api-docs/init.js');
      assert.equal(init.status, 200);
      assert.equal(await init.text(), '// init\n');
      assert.equal(init.headers.get('content-type'), 'text/javascript; charset=utf-8');
      for (const [k, v] of Object.entries(API_DOCS_ASSET_HEADERS)) assert.equal(init.headers.get(k), v, k);
      const css = await get(vault, '/assets/api-docs/swagger-ui.css', 'HEAD');
      assert.equal(css.status, 200);
      assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
      assert.equal(css.headers.get('content-length'), '14');
      assert.equal(await css.text(), '');
    }),
});

Deno.test({
  name: 'Deno: only GET/HEAD of the page’s named files are served; others, traversal and a missing build fall through to the Worker',
  sanitizeResources: false,
  fn: () =>
    withAssets(async (vault) => {
      for (const path of [
        '/assets/api-docs/stray.js',
        '/assets/api-docs/swagger-ui-bundle.js', // named, but not built here
        '/assets/api-docs/..%2F..%2Fsecret.txt',
        '/assets/api-docs/%2e%2e/%2e%2e/secret.txt',
        '/assets/api-docs/',
      ]) {
        const res = await get(vault, path);
        const text = await res.text();
        assert.equal(res.status, 404, `${path}: ${text}`);
        assert.match(text, /<h1>Not found<\/h1>/, path); // the Worker's error page, not a file
        assert.doesNotMatch(text, /outside the assets directory|not one of the page files/, path);
      }
      // Not GET or HEAD: the Worker answers, as for any other post without a form token.
      const post = await vault.fetch(new Request('http://127.0.0.1/assets/api-docs/init.js', { method: 'POST' }));
      assert.equal(post.status, 403);
      assert.doesNotMatch(await post.text(), /\/\/ init/);
    }),
});
