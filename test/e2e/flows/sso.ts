/**
 * Single sign-on in Chromium against a real OpenID provider on localhost
 * (panva's oidc-provider, test/support/oidc-idp.ts), configured for phase A:
 * - the login page shows the OIDC_NAME button (screenshot, accessibility);
 * - the button goes to the provider and back: the admin is signed in on the
 *   page `next` named, with the __Host- session cookie;
 * - a person the vault does not know is turned away on the login page with a
 *   message (screenshot, accessibility of the refusal page).
 */
import assert from 'node:assert/strict';
import { newContext } from '../browser.ts';
import type { Suite } from '../suite.ts';
import type { LocalIdp } from '../../support/oidc-idp.ts';

export const OIDC_BUTTON = 'University login';

export async function ssoFlows(s: Suite, idp: LocalIdp): Promise<void> {
  const { runner } = s;
  idp.accounts.set('e2e-admin', { email: s.admin.email, email_verified: true, name: 'E2E Admin' });
  idp.accounts.set('e2e-stranger', { email: 'stranger@example.test', email_verified: true });

  await runner.step('OIDC: the login page offers the OIDC_NAME button (screenshot, accessibility)', async () => {
    const ctx = await newContext(s.browser, s.recorder);
    try {
      const page = await ctx.newPage();
      await page.goto(s.url('/login?next=%2Fadmin%2Fusers'));
      const button = page.getByRole('link', { name: OIDC_BUTTON, exact: true });
      assert.equal(await button.count(), 1, 'one OIDC button');
      assert.equal(await button.getAttribute('href'), '/login/oidc?next=%2Fadmin%2Fusers');
      await s.shots.both(page, 'login-oidc', { dark: true });
    } finally {
      await ctx.close();
    }
    await s.a11y('/login?next=%2Fadmin%2Fusers', { anonymous: true });
  });

  await runner.step('OIDC: the button signs the admin in through the provider and lands on next', async () => {
    const ctx = await newContext(s.browser, s.recorder);
    try {
      const page = await ctx.newPage();
      idp.signInAs = 'e2e-admin';
      await page.goto(s.url('/login?next=%2Fadmin%2Fusers'));
      await page.getByRole('link', { name: OIDC_BUTTON, exact: true }).click();
      await page.waitForURL((u) => u.origin === s.base && u.pathname === '/admin/users');
      assert.match((await page.locator('main').textContent()) ?? '', new RegExp(s.admin.email.replace(/[.]/g, '\\.')));
      const cookies = await ctx.cookies(s.base);
      const session = cookies.find((c) => c.name === '__Host-av_session');
      assert.ok(session?.httpOnly && session.secure, 'the session cookie is set, HttpOnly and Secure');
      assert.ok(!cookies.some((c) => c.name === '__Host-av_oidc'), 'the attempt cookie is gone after the callback');
      await s.shots.both(page, 'oidc-signed-in');
      await s.assertPageClean(page);
    } finally {
      await ctx.close();
    }
  });

  await runner.step('OIDC: an unknown person is turned away on the login page (screenshot, accessibility)', async () => {
    const ctx = await newContext(s.browser, s.recorder);
    try {
      const page = await ctx.newPage();
      idp.signInAs = 'e2e-stranger';
      await page.goto(s.url('/login'));
      await page.getByRole('link', { name: OIDC_BUTTON, exact: true }).click();
      await page.waitForURL((u) => u.origin === s.base && u.pathname === '/login/oidc/callback');
      assert.match((await page.getByRole('alert').textContent()) ?? '', /no account for you/);
      assert.ok(!(await ctx.cookies(s.base)).some((c) => c.name === '__Host-av_session'), 'no session');
      await s.shots.both(page, 'oidc-refused');
    } finally {
      await ctx.close();
    }
    // The callback without an attempt: the same page with its own message.
    await s.a11y('/login/oidc/callback', { anonymous: true });
  });
}
