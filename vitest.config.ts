import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { TEST_CREDENTIAL_KEY, TEST_CREDENTIAL_KEY_2, TEST_SECRET_KEY } from './test/support/keys.ts';

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'));
  const shared = {
    setupFiles: ['./test/support/apply-migrations.ts'],
    testTimeout: 30_000,
  };
  return {
    test: {
      projects: [
        {
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
            name: 'workers',
            include: ['test/**/*.test.ts'],
            exclude: ['test/e2e/**', 'test/deno/**', 'test/node/**', 'test/rotation/**'],
            ...shared,
          },
        },
        {
          // Key rotation runs with a rotated ring in the Worker's (and so the
          // KeyRotation object's) own env: the new key current, the old previous.
          plugins: [
            cloudflareTest({
              wrangler: { configPath: './wrangler.toml' },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  SECRET_KEY: TEST_SECRET_KEY,
                  CREDENTIAL_ENCRYPTION_KEY: TEST_CREDENTIAL_KEY_2,
                  CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: TEST_CREDENTIAL_KEY,
                },
              },
            }),
          ],
          test: {
            name: 'rotation',
            include: ['test/rotation/**/*.test.ts'],
            ...shared,
          },
        },
      ],
    },
  };
});
