/**
 * `npm run test:e2e`: the admin pages in Debian's Chromium against a real
 * `wrangler dev` with a fresh local D1 and keys generated for this run.
 *
 * Phases (one wrangler dev each, same --persist-to state, same SECRET_KEY):
 *   A  key 1, one-minute sessions: log in, credentials, query designs, users,
 *      API keys, passkeys and recovery codes, the API reference page,
 *      accessibility; a second browser logs in for the expiry check; hundreds
 *      of rows seeded over REST
 *   A2 the same with ADMIN_SIGN_IN=strong: passkey enrollment of a second admin
 *   B  key 2 current + key 1 previous: the rotation in the browser
 *   C  key 3 current + key 2 previous: rows that will lose their key
 *   D  key 2 alone (key 3 "lost"): the banner and the recovery flow, log out,
 *      and the expiry checks (by then the one-minute session is long over)
 * Finally every response body the browsers received, every REST body and the
 * wrangler log are searched for the planted secrets.
 *
 * Artifacts: test-results/screenshots/*.png, test-results/e2e/wrangler.log,
 * and on a failure test-results/e2e/FAILED-*.{png,html}.
 * Exits 1 on any failure; the last line reads "N passed, M failed".
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { E2eVault, ROOT, type Vars } from './vault.ts';
import { Runner } from './harness.ts';
import { CHROMIUM, launchChromium, Screenshots } from './browser.ts';
import { canary, makeKeys, Suite } from './suite.ts';
import { expiryFlows, loginFlows, logoutFlow, startExpiringSession, type ExpiringSession } from './flows/auth.ts';
import { credentialFlows } from './flows/credentials.ts';
import { keyboardFlow } from './flows/keyboard.ts';
import { queryDesignFlows } from './flows/query-designs.ts';
import { userFlows } from './flows/users.ts';
import { rotationFlows, seedCredentials, SEEDED_ROWS } from './flows/rotation.ts';
import { prepareLostKey, recoveryFlows } from './flows/recovery.ts';
import { apiDocsFlows } from './flows/api-docs.ts';
import { makeSecondAdmin, passkeyFlows, strongPolicyFlows } from './flows/passkeys.ts';

const OUT = path.join(ROOT, 'test-results');
const E2E_OUT = path.join(OUT, 'e2e');
const SHOTS = path.join(OUT, 'screenshots');
/** A normal run takes about two minutes; this only stops a hung one. */
const DEADLINE_MS = 9 * 60_000;

async function main(): Promise<number> {
  const started = Date.now();
  if (!existsSync(CHROMIUM)) {
    console.error(`Chromium not found at ${CHROMIUM}: apt-get install -y --no-install-recommends chromium (or set E2E_CHROMIUM).`);
    return 1;
  }
  rmSync(SHOTS, { recursive: true, force: true });
  rmSync(E2E_OUT, { recursive: true, force: true });
  mkdirSync(E2E_OUT, { recursive: true });
  const runner = new Runner();
  const vault = new E2eVault(path.join(E2E_OUT, 'wrangler.log'));
  const keys = await makeKeys();
  const admin = { email: 'admin@example.test', password: canary('ADMINPW', 28) };
  const phase = (current: string, previous: string | null, extra: Vars = {}): Vars => ({
    SECRET_KEY: keys.secretKey,
    CREDENTIAL_ENCRYPTION_KEY: current,
    ...(previous ? { CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: previous } : {}),
    ...extra,
  });

  // Never leave wrangler/workerd behind (they run in their own process group), and never hang CI.
  const abort = (why: string, code: number) => {
    console.log(`\n${why}: stopping wrangler dev and exiting`);
    vault.killNow();
    process.exit(code);
  };
  process.once('SIGINT', () => abort('interrupted', 130));
  process.once('SIGTERM', () => abort('terminated', 143));
  setTimeout(() => abort(`the suite ran past ${DEADLINE_MS / 60_000} minutes`, 1), DEADLINE_MS).unref();

  let browser: Browser | null = null;
  let s: Suite | null = null;
  let expiring: ExpiringSession | null = null;
  console.log(`arena-vault e2e: Chromium ${CHROMIUM}, wrangler log ${path.relative(ROOT, vault.logFile)}`);
  try {
    await runner.required('setup: fresh local D1 with migrations, first admin by scripts/bootstrap-admin.ts', async () => {
      vault.applyMigrations();
      assert.match(vault.bootstrapAdmin(admin.email, admin.password), /Created the admin admin@example\.test/);
    }, 180_000);
    await runner.required('setup: wrangler dev (key 1, ACCESS_TOKEN_EXPIRE_MINUTES=1) and Chromium', async () => {
      [browser] = await Promise.all([launchChromium(), vault.start(phase(keys.k1, null, { ACCESS_TOKEN_EXPIRE_MINUTES: '1' }), 'A: key 1, one-minute sessions')]);
    }, 120_000);
    s = new Suite(vault, runner, browser!, new Screenshots(SHOTS), keys, admin);
    const suite = s;
    await s.openAdmin();
    runner.onFailure = async (name) => {
      const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      await suite.page.screenshot({ path: path.join(E2E_OUT, `FAILED-${slug}.png`), fullPage: true });
      writeFileSync(path.join(E2E_OUT, `FAILED-${slug}.html`), await suite.page.content());
    };

    // Phase A
    await runner.step('session cookie: Chromium keeps and sends the __Host- Secure cookie over http://127.0.0.1', async () => {
      expiring = await startExpiringSession(suite);
    });
    await loginFlows(s);
    await credentialFlows(s);
    await keyboardFlow(s);
    await queryDesignFlows(s);
    await userFlows(s);
    await passkeyFlows(s);
    await runner.step('account page and audit log render cleanly', async () => {
      await suite.page.goto(suite.url('/account/password'));
      await suite.shots.both(suite.page, 'account-password');
      await suite.a11y('/account/password');
      await suite.page.goto(suite.url('/admin/audit?action=credential.*'));
      assert.match((await suite.page.locator('tbody').textContent()) ?? '', /credential\.create/);
      await suite.assertPageClean();
    });
    await apiDocsFlows(s);
    await runner.required(`seed ${SEEDED_ROWS} credentials over REST with the admin API key`, () => seedCredentials(suite, SEEDED_ROWS, 'Seeded serper'), 180_000);
    // Phase A2: the strong admin sign-in policy (its own restart; phase B starts without it).
    await strongPolicyFlows(s, await makeSecondAdmin(s), phase(keys.k1, null, { ACCESS_TOKEN_EXPIRE_MINUTES: '1' }));

    // Phase B
    await runner.required('restart: key 2 current, key 1 previous (the operator installed the new key)', async () => {
      await suite.restart(phase(keys.k2, keys.k1), 'B: key 2 + previous key 1');
      await suite.ensureSession();
    }, 120_000);
    await rotationFlows(s);

    // Phase C
    await runner.required('restart: key 3 current, key 2 previous', async () => {
      await suite.restart(phase(keys.k3, keys.k2), 'C: key 3 + previous key 2');
      await suite.ensureSession();
    }, 120_000);
    await prepareLostKey(s);

    // Phase D
    await runner.required('restart: key 2 alone (key 3 is lost)', async () => {
      await suite.restart(phase(keys.k2, null), 'D: key 2 only');
      await suite.ensureSession();
    }, 120_000);
    await recoveryFlows(s);
    await logoutFlow(s);
    if (expiring) await expiryFlows(s, expiring);

    await runner.step('no planted secret in any response the browsers got, any REST body, or the wrangler log', async () => {
      const responses = await suite.recorder.settled();
      assert.ok(responses.length > 100, `recorded ${responses.length} responses`);
      for (const r of responses) {
        const body = suite.apiKey ? r.body.replace(suite.apiKey, '') : r.body;
        suite.assertNoSecret(body, `the response of ${r.url}`);
      }
      const apiKeyShown = responses.filter((r) => suite.apiKey && r.body.includes(suite.apiKey));
      assert.ok(apiKeyShown.length <= 1, 'the API key was shown once only');
      for (const b of suite.extraBodies) suite.assertNoSecret(b, 'a REST response');
      await vault.stop();
      const log = readFileSync(vault.logFile, 'utf8');
      suite.assertNoSecret(log, 'the wrangler log');
      if (suite.apiKey) assert.ok(!log.includes(suite.apiKey), 'the API key is not in the log');
      console.log(`        searched ${responses.length} browser responses, ${suite.extraBodies.length} REST bodies and ${log.length} bytes of log`);
    });
  } catch (e) {
    console.log(`  stopped: ${e instanceof Error ? e.message : String(e)}`);
    if (runner.failed === 0) runner.results.push({ name: 'suite', ok: false, ms: 0, error: String(e) });
  } finally {
    await (browser as Browser | null)?.close().catch(() => undefined);
    await vault.dispose(runner.failed > 0);
    if (runner.failed > 0) console.log(`  kept the vault state for debugging: ${vault.dir}`);
  }

  if (s) {
    console.log(`\nScreenshots (${s.shots.taken.length}) in ${path.relative(ROOT, SHOTS)}/:\n  ${s.shots.taken.join('\n  ')}`);
    console.log(`Accessibility checked (axe + keyboard) on ${s.a11yChecked.length} pages:\n  ${s.a11yChecked.join('\n  ')}`);
    for (const [p, minor] of s.a11yMinor) console.log(`  note: ${p}: ${minor.join(', ')} (moderate/minor)`);
    for (const [p, found] of s.a11yThirdParty) console.log(`  note: ${p}: inside Swagger UI (third-party markup, not failed):\n    ${found.join('\n    ')}`);
  }
  console.log(`\nE2E finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(runner.summary());
  return runner.failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
