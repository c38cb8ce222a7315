import path from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { TEST_CREDENTIAL_KEY, TEST_CREDENTIAL_KEY_2, TEST_SECRET_KEY } from './test/support/keys.ts';

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, 'migrations'));

  /** A project of workerd tests: the real Worker (wrangler.toml) with these credential keys and test files. */
  const workersProject = (
    name: string,
    credentialKeys: { CREDENTIAL_ENCRYPTION_KEY: string; CREDENTIAL_ENCRYPTION_KEY_PREVIOUS?: string },
    files: { include: string[]; exclude?: string[] },
  ) => ({
    plugins: [
      cloudflareTest({
        wrangler: { configPath: './wrangler.toml' },
        miniflare: { bindings: { TEST_MIGRATIONS: migrations, SECRET_KEY: TEST_SECRET_KEY, ...credentialKeys } },
      }),
    ],
    test: { name, ...files, setupFiles: ['./test/support/apply-migrations.ts'], testTimeout: 30_000 },
  });

  return {
    test: {
      projects: [
        workersProject(
          'workers',
          { CREDENTIAL_ENCRYPTION_KEY: TEST_CREDENTIAL_KEY },
          {
            include: ['test/**/*.test.ts'],
            exclude: ['test/e2e/**', 'test/deno/**', 'test/node/**', 'test/rotation/**', 'test/**/*.node.test.ts'],
          },
        ),
        // Key rotation runs with a rotated ring in the Worker's (and so the
        // KeyRotation object's) own env: the new key current, the old previous.
        workersProject(
          'rotation',
          { CREDENTIAL_ENCRYPTION_KEY: TEST_CREDENTIAL_KEY_2, CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: TEST_CREDENTIAL_KEY },
          {
            include: ['test/rotation/**/*.test.ts'],
            exclude: ['test/**/*.node.test.ts'],
          },
        ),
      ],
    },
  };
});
