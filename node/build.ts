/**
 * `npm run build:node`: bundles the Node edition with esbuild into
 * dist/node-server.mjs and dist/node-bootstrap-admin.mjs, the two files
 * `npm run start:node`, `npm run bootstrap-admin:node` and the Docker image
 * run. One file each holds the Worker (src/), the shared self-host adapters
 * (selfhost/) and their npm dependencies, so the image needs no node_modules.
 *
 * - `cloudflare:workers` (workerd's module) resolves to
 *   selfhost/cloudflare-workers.ts, as deno/deno.json maps it for Deno.
 * - JSX follows tsconfig.json (hono/jsx).
 * - The files sit one directory below the repository, as selfhost/ does:
 *   selfhost/vault.ts finds wrangler.toml, migrations/ and build/public/ at
 *   `..` from its own module, which in the bundle is dist/.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const NODE_BUNDLE_DIR = join(ROOT, 'dist');

const cloudflareWorkers: Plugin = {
  name: 'cloudflare-workers',
  setup(b) {
    b.onResolve({ filter: /^cloudflare:workers$/ }, () => ({ path: join(ROOT, 'selfhost', 'cloudflare-workers.ts') }));
  },
};

export async function buildNodeEdition(): Promise<void> {
  await build({
    absWorkingDir: ROOT,
    entryPoints: { 'node-server': 'node/server.ts', 'node-bootstrap-admin': 'node/bootstrap-admin.ts' },
    outdir: NODE_BUNDLE_DIR,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    tsconfig: join(ROOT, 'tsconfig.json'),
    plugins: [cloudflareWorkers],
    // CommonJS dependencies bundled into an ES module still call require() for Node's built-ins.
    banner: { js: "import { createRequire as __avCreateRequire } from 'node:module'; const require = __avCreateRequire(import.meta.url);" },
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await buildNodeEdition();
