// scripts/build-api-docs-assets.ts: the API reference's files, copied from the
// pinned swagger-ui-dist into a Workers Static Assets directory, with the
// `_headers` file; stale files removed; wrangler.toml points at the same
// directory and runs this script as its custom build.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runScript, tempDir } from './run-script.ts';
import { API_DOCS_ASSET_HEADERS, API_DOCS_FILES, PASSKEY_FILES, STATIC_ASSETS_DIR } from '../../../src/docs/assets.ts';

const out = tempDir('api-docs-assets');
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('build-api-docs-assets', () => {
  it('copies every file of the page, byte for byte, and writes _headers', async () => {
    mkdirSync(path.join(out, 'assets/api-docs'), { recursive: true });
    writeFileSync(path.join(out, 'assets/api-docs/swagger-ui-standalone-preset.js'), '// left by an older build');
    const r = await runScript('build-api-docs-assets', ['--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^API docs assets: 9 files \(\d+ KiB\) in /);
    for (const [name, { from }] of Object.entries(API_DOCS_FILES)) {
      const src = from.startsWith('src/') ? path.join(ROOT, from) : path.join(ROOT, 'node_modules', from);
      expect(readFileSync(path.join(out, 'assets/api-docs', name)).equals(readFileSync(src)), name).toBe(true);
    }
    for (const [name, { from }] of Object.entries(PASSKEY_FILES)) {
      expect(readFileSync(path.join(out, 'assets/passkeys', name)).equals(readFileSync(path.join(ROOT, from))), name).toBe(true);
    }
    expect(existsSync(path.join(out, 'assets/api-docs/swagger-ui-standalone-preset.js')), 'a stale file is removed').toBe(false);
    const headers = readFileSync(path.join(out, '_headers'), 'utf8');
    const lines = Object.entries(API_DOCS_ASSET_HEADERS)
      .map(([k, v]) => `  ${k}: ${v}`)
      .join('\n');
    expect(headers).toBe(`/assets/api-docs/*\n${lines}\n/assets/passkeys/*\n${lines}\n`);
    expect(headers).toContain('X-Content-Type-Options: nosniff');
  });

  it('refuses a stray argument with one line and exit 2', async () => {
    const r = await runScript('build-api-docs-assets', ['nonsense']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('Swagger UI is pinned exactly, and wrangler.toml serves this directory and runs this build', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const installed = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/swagger-ui-dist/package.json'), 'utf8'));
    expect(pkg.dependencies['swagger-ui-dist']).toMatch(/^\d+\.\d+\.\d+$/);
    expect(installed.version).toBe(pkg.dependencies['swagger-ui-dist']);
    const toml = readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8');
    expect(toml).toMatch(new RegExp(`^\\[assets\\]\\ndirectory = "${STATIC_ASSETS_DIR}"$`, 'm'));
    expect(toml).toMatch(/^\[build\]\ncommand = "node --import tsx scripts\/build-api-docs-assets\.ts"$/m);
    expect(pkg.scripts['build:api-docs']).toBe('node --import tsx scripts/build-api-docs-assets.ts');
    expect(pkg.scripts['start:deno']).toMatch(/^npm run -s build:api-docs && deno run /);
  });
});
