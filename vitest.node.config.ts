// Tests that run on Node rather than inside workerd: the operator scripts
// (they are Node programs), live interop with python3, gpg and wrangler.
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The Worker's app on Node (test/node/openapi-tools.test.ts builds its OpenAPI
  // document): `cloudflare:workers` is the self-host editions' stand-in, which only
  // keeps ctx and env as workerd's base classes do.
  resolve: { alias: { 'cloudflare:workers': path.resolve(import.meta.dirname, 'selfhost/cloudflare-workers.ts') } },
  test: {
    // test/node/ holds the checks over the whole tree and the scripts; a feature's
    // Node-run variants sit in its own folder as *.node.test.ts.
    include: ['test/node/**/*.test.ts', 'test/**/*.node.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
