/**
 * The e2e suite (`npm run test:e2e`, test/e2e/admin.spec.ts) on
 * @playwright/test with Debian's Chromium (`npx playwright install` cannot
 * download browsers here): one worker, the tests in order on one vault,
 * traces kept for failed tests, the HTML report in test-results/e2e-report/.
 */
import { existsSync } from 'node:fs';
import { defineConfig } from '@playwright/test';
import { CHROMIUM, LAUNCH_OPTIONS } from './test/e2e/browser.ts';

if (!existsSync(CHROMIUM)) {
  throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y --no-install-recommends chromium (or set E2E_CHROMIUM).`);
}

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '*.spec.ts',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: Boolean(process.env.CI),
  /** A quiet run takes about two minutes, a loaded 2-core machine up to ten; this only stops a hung one. */
  globalTimeout: 30 * 60_000,
  expect: { timeout: 10_000 },
  outputDir: 'test-results/e2e-output',
  reporter: [['list'], ['html', { outputFolder: 'test-results/e2e-report', open: 'never' }]],
  use: {
    browserName: 'chromium',
    launchOptions: LAUNCH_OPTIONS,
    headless: true,
    trace: 'retain-on-failure',
    actionTimeout: 15_000,
    navigationTimeout: 30_000,
  },
});
