/**
 * `npm run build:api-docs`: writes the static files of the API reference page
 * (/api/docs) into the Workers Static Assets directory, `build/public/`
 * (git-ignored): Swagger UI from the pinned `swagger-ui-dist` package, its
 * licence, our init script, and a `_headers` file. Nothing is downloaded.
 * The passkey pages' files (@simplewebauthn/browser's bundle and our script,
 * /assets/passkeys/) are written the same way.
 *
 * wrangler runs it as the `[build] command` before every `wrangler dev` and
 * `wrangler deploy` (so `npm start`, the e2e suite and a deploy always have
 * the files); `npm run start:deno` runs it before the Deno server starts.
 * Idempotent; the file list is src/docs/assets.ts.
 *
 * Options: --out DIR (another directory, for tests).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parseCli, runMain, CliError } from './lib/cli.ts';
import { API_DOCS_ASSET_HEADERS, STATIC_ASSET_GROUPS, STATIC_ASSETS_DIR } from '../src/docs/assets.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

/** Where a `from` path of API_DOCS_FILES is: a package file (resolved from this project) or one of ours. */
function source(from: string): string {
  if (from.startsWith('src/')) return path.join(ROOT, from);
  if (from.startsWith('node_modules/')) {
    // A file the package's exports do not list: by path.
    const file = path.join(ROOT, from);
    if (!existsSync(file)) throw new CliError(`${from} is not installed: run npm ci`, 1);
    return file;
  }
  try {
    return createRequire(path.join(ROOT, 'package.json')).resolve(from);
  } catch {
    throw new CliError(`${from} is not installed: run npm ci`, 1);
  }
}

/** The `_headers` file of Workers Static Assets: API_DOCS_ASSET_HEADERS on every file of every group. */
function headersFile(): string {
  const lines = Object.entries(API_DOCS_ASSET_HEADERS)
    .map(([k, v]) => `  ${k}: ${v}`)
    .join('\n');
  return STATIC_ASSET_GROUPS.map((g) => `${g.path}/*\n${lines}\n`).join('');
}

function buildApiDocsAssets(outDir: string): string[] {
  const written: string[] = [];
  for (const group of STATIC_ASSET_GROUPS) {
    const target = path.join(outDir, group.path);
    mkdirSync(target, { recursive: true });
    for (const [name, { from }] of Object.entries(group.files)) {
      copyFileSync(source(from), path.join(target, name));
      written.push(`${group.path}/${name}`);
    }
    // Files an older build left behind would still be served: remove them.
    for (const name of readdirSync(target)) if (!(name in group.files)) rmSync(path.join(target, name), { recursive: true, force: true });
  }
  writeFileSync(path.join(outDir, '_headers'), headersFile());
  return written;
}

runMain('build-api-docs-assets', async () => {
  const { values } = parseCli(process.argv.slice(2), {
    usage: 'npm run build:api-docs -- [--out DIR]',
    description: `Copies Swagger UI (swagger-ui-dist) and the /api/docs init script into ${STATIC_ASSETS_DIR}/ for Workers Static Assets.`,
    flags: { out: 'string' },
    help: { out: `write into DIR instead of ${STATIC_ASSETS_DIR}/` },
  });
  const out = path.resolve(values.out ?? path.join(ROOT, STATIC_ASSETS_DIR));
  const files = buildApiDocsAssets(out);
  const bytes = files.reduce((n, f) => n + statSync(path.join(out, f)).size, 0);
  console.log(`API docs assets: ${files.length} files (${(bytes / 1024).toFixed(0)} KiB) in ${path.relative(process.cwd(), out) || '.'}`);
});
