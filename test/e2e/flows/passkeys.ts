/**
 * Passkeys in Chromium, through its virtual authenticator (CDP
 * `WebAuthn.addVirtualAuthenticator`: a CTAP2 platform authenticator with
 * resident keys and user verification that says yes by itself):
 * - the admin adds a passkey on /account/passkeys, logs out, and signs in
 *   with it by conditional UI (the passkey offered in the email field's
 *   autofill, which the virtual authenticator accepts by itself);
 * - then again by the visible "Sign in with a passkey" button, on the same
 *   page with conditional UI switched off (as in a browser without it), so
 *   that only the button can sign in;
 * - recovery codes: generated (shown once; the page is checked for
 *   accessibility), one used on the login page;
 * - ADMIN_SIGN_IN=strong (its own restart): a second admin's password leads
 *   to the enrollment page only (checked for accessibility); after adding a
 *   passkey and signing in with it, admin pages open.
 * Each step is one self-contained function of (suite, page), in the style of
 * the other flows, so it ports to @playwright/test as one test each.
 */
import assert from 'node:assert/strict';
import type { BrowserContext, Page } from 'playwright-core';
import { clickToLoad, logIn, newContext, submitLogin } from '../browser.ts';
import { canary, type Suite } from '../suite.ts';
import type { Vars } from '../vault.ts';

/**
 * A browser context and page on http://localhost:<port>: WebAuthn refuses an
 * IP address as RP ID, so the passkey flows use the loopback host name (the
 * vault's RP ID is the request's host, see src/auth/passkeys.ts relyingParty).
 */
export async function localhostPage(s: Suite): Promise<{ ctx: BrowserContext; page: Page; base: string }> {
  const base = s.base.replace('//127.0.0.1', '//localhost');
  const ctx = await newContext(s.browser, s.recorder);
  const page = await ctx.newPage();
  await addVirtualAuthenticator(ctx, page);
  return { ctx, page, base };
}

/** Gives `page` a virtual platform authenticator (it lives as long as the page). */
export async function addVirtualAuthenticator(ctx: BrowserContext, page: Page): Promise<void> {
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
}

/** On /account/passkeys: names and adds a passkey; waits for the reloaded list to show it. */
async function addPasskey(page: Page, name: string): Promise<void> {
  await page.getByLabel('Name (for you to tell them apart)').fill(name);
  await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Add a passkey' }).click()]);
  await page.locator('tbody tr', { hasText: name }).waitFor();
}

/** Logs out of `page` (which lands on /login). */
async function logOut(page: Page): Promise<void> {
  await Promise.all([page.waitForURL((u) => u.pathname === '/login'), page.getByRole('button', { name: 'Log out' }).click()]);
}

/**
 * Logs out, then signs in with a passkey on /login, then opens `next`; returns
 * where that landed. The login page's conditional UI (passkeys offered in
 * autofill) is answered by Chromium's virtual authenticator by itself, which
 * signs in at once. `by: 'autofill'` requires that; `by: 'either'` clicks
 * "Sign in with a passkey" where it did not happen within 5 s.
 */
async function passkeySignIn(base: string, page: Page, next = '/admin/credentials', by: 'autofill' | 'either' = 'either'): Promise<string> {
  await logOut(page);
  const byAutofill = await page
    .waitForURL((u) => u.pathname !== '/login', { timeout: 5_000 })
    .then(
      () => true,
      () => false,
    );
  if (!byAutofill) {
    assert.notEqual(by, 'autofill', 'conditional UI (autofill) did not sign in with the passkey');
    await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), page.getByRole('button', { name: 'Sign in with a passkey' }).click()]);
  }
  await page.waitForLoadState('load');
  console.log(`        (signed in with the passkey by ${byAutofill ? 'conditional UI (autofill)' : 'the button'})`);
  await page.goto(`${base}${next}`);
  return new URL(page.url()).pathname;
}

/**
 * Signs in on `page` by clicking the visible "Sign in with a passkey" button.
 * Conditional UI is switched off on this page from now on
 * (isConditionalMediationAvailable answers false, as in a browser without
 * it), so the page cannot sign in through autofill before the click.
 */
async function buttonSignIn(s: Suite, page: Page): Promise<void> {
  await page.addInitScript(() => {
    const pkc = (globalThis as { PublicKeyCredential?: { isConditionalMediationAvailable?: () => Promise<boolean> } }).PublicKeyCredential;
    if (pkc) pkc.isConditionalMediationAvailable = async () => false;
  });
  await logOut(page); // the /login it lands on is the first load with the init script
  assert.equal(await page.evaluate(() => (globalThis as any).PublicKeyCredential.isConditionalMediationAvailable()), false, 'conditional UI is off');
  const button = page.getByRole('button', { name: 'Sign in with a passkey' });
  await button.waitFor({ state: 'visible' });
  assert.equal(new URL(page.url()).pathname, '/login', 'not signed in before the click');
  await s.shots.both(page, 'login-passkey-button');
  await Promise.all([page.waitForURL((u) => u.pathname !== '/login'), button.click()]);
  await page.waitForLoadState('load');
  assert.equal(new URL(page.url()).pathname, '/admin/credentials', 'the button signs in and lands on the default page');
  assert.equal(await page.getByRole('button', { name: 'Log out' }).count(), 1, 'signed in');
  await s.shots.both(page, 'passkey-signed-in-by-button');
}

export async function passkeyFlows(s: Suite): Promise<void> {
  const { runner } = s;
  const { ctx, page, base } = await localhostPage(s);
  try {
    await runner.step("passkeys: add one in Chromium's virtual authenticator, sign in with it (screenshot, accessibility)", async () => {
      await logIn(page, base, s.admin.email, s.admin.password);
      await page.goto(`${base}/account/passkeys`);
      await s.shots.both(page, 'passkeys-empty');
      await addPasskey(page, 'E2E laptop');
      await s.shots.both(page, 'passkeys', { dark: true });
      await s.ensureSession(); // the admin's one-minute session of the other pages
      await s.a11y('/account/passkeys');
      assert.equal(await passkeySignIn(base, page, '/admin/credentials', 'autofill'), '/admin/credentials', 'the passkey sign-in lands on the page asked for');
      await page.goto(`${base}/account/passkeys`);
      assert.doesNotMatch((await page.locator('tbody tr', { hasText: 'E2E laptop' }).textContent()) ?? '', /never\s*$/, 'last used is recorded');
      await s.assertPageClean(page);
    });
    await runner.step('passkeys: sign in by clicking "Sign in with a passkey" on /login (screenshot)', async () => {
      await buttonSignIn(s, page);
      await s.assertPageClean(page);
    });
    await recoveryCodeFlow(s, page, base);
  } finally {
    await ctx.close();
  }
  await s.ensureSession();
}

async function recoveryCodeFlow(s: Suite, page: Page, base: string): Promise<void> {
  await s.runner.step('recovery codes: shown once, one signs in, and it is used up', async () => {
    await page.goto(`${base}/account/passkeys`);
    await clickToLoad(page, page.getByRole('button', { name: 'Generate new recovery codes' }));
    const codes = (await page.locator('#recovery-codes code').allTextContents()).map((c) => c.trim());
    assert.equal(codes.length, 10);
    await s.shots.both(page, 'recovery-codes');
    await clickToLoad(page, page.getByRole('button', { name: 'Log out' }));
    // A page without the virtual authenticator (its autofill would sign in with the passkey).
    const plain = await page.context().newPage();
    for (const expected of ['/admin/credentials', '/login']) {
      await plain.goto(`${base}/login`);
      await plain.getByText('Use a recovery code').click();
      await plain.getByLabel('Account email').fill(s.admin.email);
      await plain.getByLabel('Recovery code').fill(codes[0]!);
      await clickToLoad(plain, plain.getByRole('button', { name: 'Sign in with a recovery code' }));
      assert.equal(new URL(plain.url()).pathname, expected, expected === '/login' ? 'a used code is refused' : 'the code signs in');
      if (expected === '/admin/credentials') await clickToLoad(plain, plain.getByRole('button', { name: 'Log out' }));
    }
    await s.shots.both(plain, 'login-recovery-refused');
    await plain.close();
    // The page that shows freshly generated codes, checked like every other
    // page: in the admin's own session (its new set replaces the one used up above).
    await s.ensureSession();
    await s.a11y('/account/passkeys', {
      label: '/account/recovery-codes (fresh recovery codes shown)',
      prepare: (p) => clickToLoad(p, p.getByRole('button', { name: 'Generate new recovery codes' })),
      ready: '#recovery-codes code',
    });
  });
}

/** A second admin, made over REST with the admin API key, for the strong-policy flow. */
export async function makeSecondAdmin(s: Suite): Promise<{ email: string; password: string }> {
  const admin2 = { email: 'admin2@example.test', password: canary('ADMIN2PW', 28) };
  s.secrets.add(admin2.password);
  const res = await s.vault.api('POST', '/api/users', s.apiKey, { email: admin2.email, password: admin2.password, role: 'admin' });
  assert.equal(res.status, 201, 'second admin created');
  return admin2;
}

export async function strongPolicyFlows(s: Suite, admin2: { email: string; password: string }, vars: Vars): Promise<void> {
  await s.runner.required('restart: ADMIN_SIGN_IN=strong', () => s.restart({ ...vars, ADMIN_SIGN_IN: 'strong' }, 'A2: ADMIN_SIGN_IN=strong'), 120_000);
  await s.runner.step('ADMIN_SIGN_IN=strong: a password leads to passkey enrollment only; the passkey opens admin work', async () => {
    const { ctx, page, base } = await localhostPage(s);
    try {
      await page.goto(`${base}/login`);
      await submitLogin(page, admin2.email, admin2.password);
      assert.equal(new URL(page.url()).pathname, '/account/passkeys', 'the password leads to enrollment');
      assert.match((await page.locator('main .notice.info').textContent()) ?? '', /Add a passkey now/);
      await s.shots.both(page, 'passkeys-enroll');
      await s.a11y('/account/passkeys', {
        from: ctx,
        base,
        label: '/account/passkeys (ADMIN_SIGN_IN=strong enrollment)',
        ready: 'main .notice.info:has-text("Add a passkey now")',
      });
      await page.goto(`${base}/admin/users`);
      assert.equal(new URL(page.url()).pathname, '/account/passkeys', 'admin pages send an enrollment session back');
      await addPasskey(page, 'Admin key');
      assert.match((await page.locator('main .notice.info').textContent()) ?? '', /Log out and sign in with it/);
      assert.equal(await page.getByRole('button', { name: 'Add a passkey' }).count(), 0, 'no second passkey on a password session');
      await s.shots.both(page, 'passkeys-enrolled');
      assert.equal(await passkeySignIn(base, page, '/admin/users'), '/admin/users', 'signed in with the passkey, admin work opens');
      await s.assertPageClean(page);
    } finally {
      await ctx.close();
    }
  });
}
