// Tests that run on Node rather than inside workerd: the operator scripts
// (they are Node programs), live interop with python3, gpg and wrangler.
import path from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  // The Worker's app on Node (test/node/openapi-tools.test.ts builds its OpenAPI
  // document): `cloudflare:workers` is the Deno edition's stand-in, which only
  // keeps ctx and env as workerd's base classes do.
  resolve: { alias: { 'cloudflare:workers': path.resolve(import.meta.dirname, 'deno/cloudflare-workers.ts') } },
  test: {
    include: ['test/node/**/*.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
