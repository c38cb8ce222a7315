import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { TEST_CREDENTIAL_KEY, TEST_SECRET_KEY } from './test/support/keys.ts';

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            SECRET_KEY: TEST_SECRET_KEY,
            CREDENTIAL_ENCRYPTION_KEY: TEST_CREDENTIAL_KEY,
          },
        },
      }),
    ],
    test: {
      include: ['test/**/*.test.ts'],
      exclude: ['test/e2e/**', 'test/deno/**', 'test/node/**'],
      setupFiles: ['./test/support/apply-migrations.ts'],
      testTimeout: 30_000,
    },
  };
});
