/**
 * `npm run test:e2e` (@playwright/test, playwright.config.ts): the admin
 * pages in Debian's Chromium against a real `wrangler dev` with a fresh local
 * D1 and keys generated for this run.
 *
 * Phases (one wrangler dev each, same --persist-to state, same SECRET_KEY):
 *   A  key 1, one-minute sessions: log in, credentials, query designs, users,
 *      API keys, the API reference page, the arena health page and live key
 *      checks (against a local provider stand-in), accessibility; a second browser logs
 *      in for the expiry check; single sign-on against a local OpenID
 *      provider (oidc-provider); hundreds of rows seeded over REST
 *   B  key 2 current + key 1 previous: the rotation in the browser
 *   C  key 3 current + key 2 previous: rows that will lose their key
 *   D  key 2 alone (key 3 "lost"): the banner and the recovery flow, log out,
 *      and the expiry checks (by then the one-minute session is long over)
 * Finally every response body the browsers received, every REST body and the
 * wrangler log are searched for the planted secrets.
 *
 * The tests run in order on one vault (serial: a failed test skips the rest);
 * inside a test each flow step is a `test.step`, and a failed step lets the
 * flow go on but fails its test (harness.ts).
 *
 * Artifacts: test-results/screenshots/*.png, test-results/e2e/wrangler.log,
 * the HTML report in test-results/e2e-report/ (traces of failed tests
 * inside), and on a failed step test-results/e2e/FAILED-*.{png,html}.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { test } from '@playwright/test';
import { E2eVault, ROOT, type Vars } from './vault.ts';
import { Runner } from './harness.ts';
import { Screenshots } from './browser.ts';
import { canary, makeKeys, type Keys, Suite } from './suite.ts';
import { expiryFlows, loginFlows, logoutFlow, startExpiringSession, type ExpiringSession } from './flows/auth.ts';
import { credentialFlows } from './flows/credentials.ts';
import { keyboardFlow } from './flows/keyboard.ts';
import { queryDesignFlows } from './flows/query-designs.ts';
import { userFlows } from './flows/users.ts';
import { rotationFlows, seedCredentials, SEEDED_ROWS } from './flows/rotation.ts';
import { prepareLostKey, recoveryFlows } from './flows/recovery.ts';
import { apiDocsFlows } from './flows/api-docs.ts';
import { alertFlows } from './flows/alerts.ts';
import { OIDC_BUTTON, ssoFlows } from './flows/sso.ts';
import { healthFlows, startProviderStandIn, type ProviderStandIn } from './flows/health.ts';
import { makeSecondAdmin, passkeyFlows, strongPolicyFlows } from './flows/passkeys.ts';
import { LocalIdp } from '../support/oidc-idp.ts';
import { freePort } from '../support/wrangler-dev.ts';

const OUT = path.join(ROOT, 'test-results');
const E2E_OUT = path.join(OUT, 'e2e');
const SHOTS = path.join(OUT, 'screenshots');

test.describe.configure({ mode: 'serial' });

const runner = new Runner();
let vault: E2eVault;
let keys: Keys;
let s: Suite;
let expiring: ExpiringSession | null = null;
const admin = { email: 'admin@example.test', password: canary('ADMINPW', 28) };
const idp = new LocalIdp();
/** Phase A's live key checks go to this local stand-in (PROVIDER_CHECK_ORIGIN: tests only). */
let standIn: ProviderStandIn | null = null;
const oidcSecret = canary('OIDCSECRET', 40);
const phase = (current: string, previous: string | null, extra: Vars = {}): Vars => ({
  SECRET_KEY: keys.secretKey,
  CREDENTIAL_ENCRYPTION_KEY: current,
  ...(previous ? { CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: previous } : {}),
  ...extra,
});

/** Phase A's variables (set once the OpenID provider runs), for the strong-policy restart. */
let phaseAVars: Vars = {};

/** One test of the run: `body` runs flow steps; the test fails if any of them failed. */
function flowTest(title: string, body: () => Promise<void>, timeoutMs = 5 * 60_000): void {
  test(title, async () => {
    test.setTimeout(timeoutMs);
    const from = runner.results.length;
    await body();
    runner.assertStepsPassed(from);
  });
}

/** A restart of wrangler dev on the same state with another key ring; the admin page keeps (or regains) its session. */
function restartTest(title: string, vars: () => Vars, label: string): void {
  flowTest(title, () =>
    runner.required(
      'restart',
      async () => {
        await s.restart(vars(), label);
        await s.ensureSession();
      },
      120_000,
    ),
  );
}

test.beforeAll(async () => {
  rmSync(SHOTS, { recursive: true, force: true });
  rmSync(E2E_OUT, { recursive: true, force: true });
  mkdirSync(E2E_OUT, { recursive: true });
  vault = new E2eVault(path.join(E2E_OUT, 'wrangler.log'));
  // Never leave wrangler/workerd behind (they run in their own process group), whatever ends this worker.
  process.once('exit', () => vault.killNow());
  keys = await makeKeys();
  runner.onFailure = async (name) => {
    if (!s?.page || s.page.isClosed()) return;
    const slug = name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    const png = path.join(E2E_OUT, `FAILED-${slug}.png`);
    await s.page.screenshot({ path: png, fullPage: true });
    writeFileSync(path.join(E2E_OUT, `FAILED-${slug}.html`), await s.page.content());
    await test.info().attach(`FAILED ${name}`, { path: png, contentType: 'image/png' });
  };
  console.log(`arena-vault e2e: wrangler log ${path.relative(ROOT, vault.logFile)}`);
});

test.afterAll(async () => {
  await s?.adminCtx?.close().catch(() => undefined);
  await idp.stop().catch(() => undefined);
  await standIn?.close().catch(() => undefined);
  await vault?.dispose(runner.failed > 0);
  if (runner.failed > 0) console.log(`  kept the vault state for debugging: ${vault.dir}`);
  if (s) {
    console.log(`\nScreenshots (${s.shots.taken.length}) in ${path.relative(ROOT, SHOTS)}/:\n  ${s.shots.taken.join('\n  ')}`);
    console.log(`Accessibility checked (axe + keyboard) on ${s.a11yChecked.length} pages:\n  ${s.a11yChecked.join('\n  ')}`);
    for (const [p, minor] of s.a11yMinor) console.log(`  note: ${p}: ${minor.join(', ')} (moderate/minor)`);
    for (const [p, found] of s.a11yThirdParty) console.log(`  note: ${p}: inside Swagger UI (third-party markup, not failed):\n    ${found.join('\n    ')}`);
  }
  console.log(runner.summary());
});

test('setup: fresh local D1 with migrations, first admin by scripts/bootstrap-admin.ts', async () => {
  test.setTimeout(180_000);
  vault.applyMigrations();
  assert.match(vault.bootstrapAdmin(admin.email, admin.password), /Created the admin admin@example\.test/);
});

test('setup: a local OpenID provider, wrangler dev (key 1, ACCESS_TOKEN_EXPIRE_MINUTES=1, OIDC) and Chromium', async ({ browser }) => {
  test.setTimeout(120_000);
  vault.port = await freePort();
  await idp.start({ clientId: 'arena-vault-e2e', clientSecret: oidcSecret, redirectUri: `${vault.url}/login/oidc/callback` });
  standIn = await startProviderStandIn();
  const oidc = {
    OIDC_ISSUER: idp.issuer,
    OIDC_CLIENT_ID: 'arena-vault-e2e',
    OIDC_CLIENT_SECRET: oidcSecret,
    OIDC_NAME: OIDC_BUTTON,
    OIDC_ALLOWED_DOMAINS: 'example.test',
  };
  phaseAVars = phase(keys.k1, null, { ACCESS_TOKEN_EXPIRE_MINUTES: '1', PROVIDER_CHECK_ORIGIN: standIn.origin, ...oidc });
  await vault.start(phaseAVars, 'A: key 1, one-minute sessions, OIDC');
  s = new Suite(vault, runner, browser, new Screenshots(SHOTS), keys, admin);
  await s.openAdmin();
});

// Phase A
flowTest('A: session cookie: Chromium keeps and sends the __Host- Secure cookie over http://127.0.0.1', async () => {
  expiring = await startExpiringSession(s);
});
flowTest('A: log in', () => loginFlows(s));
flowTest('A: credentials', () => credentialFlows(s));
flowTest('A: keyboard', () => keyboardFlow(s));
flowTest('A: query designs', () => queryDesignFlows(s));
flowTest('A: users and API keys', () => userFlows(s));
flowTest('A: passkeys and recovery codes', () => passkeyFlows(s));
flowTest('A: alerts', () => alertFlows(s));
flowTest('A: account page and audit log', async () => {
  await runner.step('account page and audit log render cleanly', async () => {
    await s.page.goto(s.url('/account/password'));
    await s.shots.both(s.page, 'account-password');
    await s.a11y('/account/password');
    await s.page.goto(s.url('/admin/audit?action=credential.*'));
    assert.match((await s.page.locator('tbody').textContent()) ?? '', /credential\.create/);
    await s.assertPageClean();
  });
});
flowTest('A: API reference page', () => apiDocsFlows(s));
flowTest('A: arena health page and live key checks', () => healthFlows(s, standIn!));
flowTest('A: single sign-on (OpenID Connect)', () => ssoFlows(s, idp));
flowTest(`A: seed ${SEEDED_ROWS} credentials over REST with the admin API key`, () =>
  runner.required('seed over REST', () => seedCredentials(s, SEEDED_ROWS, 'Seeded serper'), 180_000),
);
// Phase A2: the strong admin sign-in policy (its own restart; phase B starts without it).
flowTest('A2: ADMIN_SIGN_IN=strong passkey enrollment', async () => strongPolicyFlows(s, await makeSecondAdmin(s), phaseAVars));

// Phase B
restartTest('B: restart: key 2 current, key 1 previous (the operator installed the new key)', () => phase(keys.k2, keys.k1), 'B: key 2 + previous key 1');
flowTest('B: rotation in the browser', () => rotationFlows(s));

// Phase C
restartTest('C: restart: key 3 current, key 2 previous', () => phase(keys.k3, keys.k2), 'C: key 3 + previous key 2');
flowTest('C: rows that will lose their key', () => prepareLostKey(s));

// Phase D
restartTest('D: restart: key 2 alone (key 3 is lost)', () => phase(keys.k2, null), 'D: key 2 only');
flowTest('D: recovery', () => recoveryFlows(s));
flowTest('D: log out', () => logoutFlow(s));
flowTest('D: session expiry', async () => {
  if (expiring) await expiryFlows(s, expiring);
});

flowTest('no planted secret in any response the browsers got, any REST body, or the wrangler log', async () => {
  await runner.step('search every response, REST body and the log', async () => {
    const responses = await s.recorder.settled();
    assert.ok(responses.length > 100, `recorded ${responses.length} responses`);
    for (const r of responses) {
      const body = s.apiKey ? r.body.replace(s.apiKey, '') : r.body;
      s.assertNoSecret(body, `the response of ${r.url}`);
    }
    const apiKeyShown = responses.filter((r) => s.apiKey && r.body.includes(s.apiKey));
    assert.ok(apiKeyShown.length <= 1, 'the API key was shown once only');
    for (const b of s.extraBodies) s.assertNoSecret(b, 'a REST response');
    await vault.stop();
    const log = readFileSync(vault.logFile, 'utf8');
    s.assertNoSecret(log, 'the wrangler log');
    if (s.apiKey) assert.ok(!log.includes(s.apiKey), 'the API key is not in the log');
    console.log(`        searched ${responses.length} browser responses, ${s.extraBodies.length} REST bodies and ${log.length} bytes of log`);
  });
});
