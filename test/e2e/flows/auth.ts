/**
 * Logging in and out, in Chromium over plain http on 127.0.0.1:
 * - the `__Host-` session cookie (Secure, HttpOnly, SameSite=Strict) is kept
 *   and sent by Chromium, which treats 127.0.0.1 as a secure context;
 * - a failed login shows one generic message and keeps the email;
 * - a page asked for while logged out goes to /login?next=… and back after login;
 * - log out ends the session;
 * - session expiry, for real: a session made under ACCESS_TOKEN_EXPIRE_MINUTES=1
 *   at the start of the run is used again at the end. Chromium has dropped the
 *   cookie by then (its Max-Age passed), and the same token put back into the
 *   browser by hand is refused by the server (its exp + 30 s leeway passed):
 *   both land on /login?next=….
 */
import assert from 'node:assert/strict';
import type { BrowserContext, Cookie } from '@playwright/test';
import { expectFlash, logIn, newContext, submitLogin } from '../browser.ts';
import type { Suite } from '../suite.ts';

const SESSION = '__Host-av_session';
/** Token lifetime (1 min) + the server's clock leeway (30 s) + margin. */
const SERVER_EXPIRY_MS = 60_000 + 30_000 + 3_000;

export interface ExpiringSession {
  ctx: BrowserContext;
  cookie: Cookie;
  loggedInAt: number;
}

/** Logs a second browser in while the vault issues one-minute tokens; checked by expiryFlows at the end. */
export async function startExpiringSession(s: Suite): Promise<ExpiringSession> {
  const ctx = await newContext(s.browser, s.recorder);
  const page = await ctx.newPage();
  await logIn(page, s.base, s.admin.email, s.admin.password);
  const loggedInAt = Date.now();
  const cookie = (await ctx.cookies(s.base)).find((c) => c.name === SESSION);
  assert.ok(cookie, 'Chromium kept the __Host- session cookie set over http://127.0.0.1');
  assert.equal(cookie.secure, true, 'the session cookie is Secure');
  assert.equal(cookie.httpOnly, true, 'the session cookie is HttpOnly');
  assert.equal(cookie.sameSite, 'Strict');
  assert.equal(cookie.path, '/');
  const lifetime = cookie.expires - loggedInAt / 1000;
  assert.ok(lifetime > 30 && lifetime <= 61, `the cookie lives one minute (ACCESS_TOKEN_EXPIRE_MINUTES=1), not ${lifetime} s`);
  // The cookie really authenticates: an admin page loads without a detour to /login.
  await page.goto(`${s.base}/admin/users`);
  assert.equal(new URL(page.url()).pathname, '/admin/users');
  await page.close();
  return { ctx, cookie, loggedInAt };
}

export async function loginFlows(s: Suite): Promise<void> {
  const { runner } = s;
  const page = s.page;

  await runner.step('login page renders, screenshot, accessibility (logged out)', async () => {
    await page.goto(s.url('/login'));
    assert.equal(await page.title(), 'Log in · arena-vault');
    await s.shots.both(page, 'login', { dark: true });
    await s.a11y('/login', { anonymous: true });
  });

  await runner.step('a failed login shows one generic message and keeps the email', async () => {
    await page.goto(s.url('/login'));
    await submitLogin(page, s.admin.email, `${s.admin.password}-wrong`);
    assert.equal(new URL(page.url()).pathname, '/login');
    const alert = page.locator('#login-error');
    assert.equal((await alert.textContent())?.trim(), 'Incorrect email or password.');
    assert.equal(await page.getByLabel('Email', { exact: true }).inputValue(), s.admin.email);
    assert.equal(await page.getByLabel('Password', { exact: true }).inputValue(), '', 'the password is not echoed back');
    assert.equal(
      (await s.adminCtx.cookies(s.base)).some((c) => c.name === SESSION),
      false,
      'no session after a failed login',
    );
    await s.shots.both(page, 'login-failed');
    await s.assertPageClean(page);
  });

  await runner.step('log in: a page asked for while logged out comes back after login (?next=)', async () => {
    await page.goto(s.url('/admin/credentials?platform=reddit'));
    const at = new URL(page.url());
    assert.equal(at.pathname, '/login');
    assert.equal(at.searchParams.get('next'), '/admin/credentials?platform=reddit');
    await submitLogin(page, s.admin.email, s.admin.password);
    const landed = new URL(page.url());
    assert.equal(landed.pathname + landed.search, '/admin/credentials?platform=reddit');
    await assertLoggedInAs(s, s.admin.email);
  });
}

async function assertLoggedInAs(s: Suite, email: string): Promise<void> {
  const account = s.page.locator('header .account');
  assert.equal((await account.locator('span').textContent())?.trim(), email, 'the header names who is logged in');
  assert.equal(await account.getByRole('button', { name: 'Log out' }).count(), 1);
}

export async function logoutFlow(s: Suite): Promise<void> {
  await s.runner.step('log out ends the session', async () => {
    const page = s.page;
    await page.goto(s.url('/admin/credentials'));
    await Promise.all([page.waitForURL((u) => u.pathname === '/login'), page.getByRole('button', { name: 'Log out' }).click()]);
    await expectFlash(page, /^You have logged out\.$/);
    assert.equal(
      (await s.adminCtx.cookies(s.base)).some((c) => c.name === SESSION),
      false,
      'the session cookie is gone',
    );
    await page.goto(s.url('/admin/credentials'));
    const at = new URL(page.url());
    assert.equal(at.pathname, '/login');
    assert.equal(at.searchParams.get('next'), '/admin/credentials');
  });
}

export async function expiryFlows(s: Suite, session: ExpiringSession): Promise<void> {
  await s.runner.step(
    'session expiry (browser): the expired cookie is gone and the page sends you to /login?next=',
    async () => {
      const wait = session.loggedInAt + 62_000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      assert.equal(
        (await session.ctx.cookies(s.base)).some((c) => c.name === SESSION),
        false,
        'Chromium dropped the cookie after its Max-Age',
      );
      const page = await session.ctx.newPage();
      await page.goto(s.url('/admin/audit?action=credential.*'));
      const at = new URL(page.url());
      assert.equal(at.pathname, '/login');
      assert.equal(at.searchParams.get('next'), '/admin/audit?action=credential.*');
      await submitLogin(page, s.admin.email, s.admin.password);
      const back = new URL(page.url());
      assert.equal(back.pathname + back.search, '/admin/audit?action=credential.*', 'logging in again returns to the page');
      await page.close();
    },
    120_000,
  );

  await s.runner.step(
    'session expiry (server): the expired token, sent anyway, is refused with /login?next=',
    async () => {
      const wait = session.loggedInAt + SERVER_EXPIRY_MS - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const claims = JSON.parse(Buffer.from(session.cookie.value.split('.')[1]!, 'base64url').toString('utf8')) as { iat: number; exp: number };
      assert.equal(claims.exp - claims.iat, 60, 'a one-minute token');
      assert.ok(Date.now() / 1000 > claims.exp + 30, 'past its expiry and the 30 s leeway');
      const ctx = await newContext(s.browser, s.recorder);
      try {
        // The old token, as a browser with a wrong clock (or a stolen cookie) would send it.
        await ctx.addCookies([{ ...session.cookie, expires: Math.floor(Date.now() / 1000) + 3600 }]);
        const page = await ctx.newPage();
        await page.goto(s.url('/admin/users'));
        const at = new URL(page.url());
        assert.equal(at.pathname, '/login', 'an expired token does not open an admin page');
        assert.equal(at.searchParams.get('next'), '/admin/users');
        const api = await page.request.get(s.url('/api/auth/me'));
        assert.equal(api.status(), 401, 'the API refuses the expired token too');
      } finally {
        await ctx.close();
      }
    },
    120_000,
  );
}
