/**
 * Users admin and API keys in the browser: create a researcher, who logs in
 * in a browser of their own and sees only what a researcher may; change role,
 * set a temporary password, deactivate (their session ends at once), revoke
 * sessions. Then an admin API key, shown once, which the suite keeps for
 * seeding over REST.
 */
import assert from 'node:assert/strict';
import { expect, type Page } from '@playwright/test';
import { clickToLoad, expectFlash, logIn, newContext } from '../browser.ts';
import { canary, type Suite } from '../suite.ts';

/** Opens the "Manage …" disclosure of a user's row. */
async function manage(page: Page, email: string) {
  const row = page.locator('tbody tr', { hasText: email });
  await row.getByText(`Manage ${email}`).click();
  return row;
}

export async function userFlows(s: Suite): Promise<void> {
  const { runner, page } = s;
  const researcher = { email: `researcher-${Date.now().toString(36)}@example.test`, password: canary('PW', 24) };
  const rCtx = await newContext(s.browser, s.recorder);
  const rPage = await rCtx.newPage();

  try {
    await runner.step('users admin: create a researcher, who sees only researcher pages', async () => {
      await page.goto(s.url('/admin/users'));
      await page.getByLabel('Email', { exact: true }).fill(researcher.email);
      await page.getByLabel('Display name', { exact: true }).fill('Rita Researcher');
      await page.locator('#new-role').selectOption('researcher');
      await page.getByLabel('Temporary password', { exact: true }).fill(researcher.password);
      await clickToLoad(page, page.getByRole('button', { name: 'Create user' }));
      await expectFlash(page, new RegExp(`^Created ${researcher.email.replace(/[.]/g, '\\.')} \\(researcher\\)\\.$`));
      await expect(page.locator('tbody tr', { hasText: researcher.email })).toHaveText(/researcher.*active/s);
      await s.assertPageClean();

      await logIn(rPage, s.base, researcher.email, researcher.password);
      assert.equal(new URL(rPage.url()).pathname, '/admin/credentials', 'the default landing page');
      assert.equal(await rPage.title(), 'Error · arena-vault');
      await expect(rPage.locator('main h1')).toHaveText(/Not allowed/);
      const nav = await rPage.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
      assert.deepEqual(nav, ['Query designs', 'Password', 'Passkeys', 'API reference'], 'a researcher’s navigation');
      await rPage.goto(s.url('/admin/query-designs'));
      assert.equal(await rPage.title(), 'Query designs · arena-vault');
      await s.shots.both(rPage, 'researcher-query-designs');
    });

    await runner.step('users admin: change role, set a temporary password, revoke sessions', async () => {
      await page.goto(s.url('/admin/users'));
      let row = await manage(page, researcher.email);
      await s.shots.both(page, 'users', { dark: true });
      await s.a11y('/admin/users');
      await row.getByLabel('Role').selectOption('admin');
      await clickToLoad(page, row.getByRole('button', { name: 'Change role' }));
      await expectFlash(page, /is now an admin\.$/);
      row = await manage(page, researcher.email);
      await row.getByLabel('Role').selectOption('researcher');
      await clickToLoad(page, row.getByRole('button', { name: 'Change role' }));
      await expectFlash(page, /is now a researcher\.$/);

      const temp = canary('TP', 20);
      row = await manage(page, researcher.email);
      await row.getByLabel('New temporary password').fill(temp);
      await clickToLoad(page, row.getByRole('button', { name: 'Set password' }));
      await expectFlash(page, /^Set a new temporary password for .*; their sessions have ended\.$/);
      await rPage.goto(s.url('/admin/query-designs'));
      assert.equal(new URL(rPage.url()).pathname, '/login', 'the researcher’s session ended with the new password');
      await logIn(rPage, s.base, researcher.email, temp);
      researcher.password = temp;

      row = await manage(page, researcher.email);
      await clickToLoad(page, row.getByRole('button', { name: 'Revoke sessions' }));
      await expectFlash(page, /^Every session of .* has ended\.$/);
      await rPage.goto(s.url('/admin/query-designs'));
      assert.equal(new URL(rPage.url()).pathname, '/login', 'revoked');
      await s.assertPageClean();
    });

    await runner.step('users admin: deactivate ends the session at once, activate lets them back in', async () => {
      await logIn(rPage, s.base, researcher.email, researcher.password);
      await page.goto(s.url('/admin/users'));
      let row = await manage(page, researcher.email);
      await clickToLoad(page, row.getByRole('button', { name: 'Deactivate' }));
      await expectFlash(page, /is deactivated; their sessions have ended\.$/);
      await expect(page.locator('tbody tr', { hasText: researcher.email })).toHaveText(/inactive/);
      await rPage.goto(s.url('/admin/query-designs'));
      const at = new URL(rPage.url());
      assert.equal(at.pathname, '/login');
      assert.equal(at.searchParams.get('next'), '/admin/query-designs');
      row = await manage(page, researcher.email);
      await clickToLoad(page, row.getByRole('button', { name: 'Activate' }));
      await expectFlash(page, /is active again\.$/);
      await logIn(rPage, s.base, researcher.email, researcher.password);
    });
  } finally {
    await rCtx.close();
  }

  await runner.step('API keys: an admin key is shown once, then only its prefix', async () => {
    await page.goto(s.url('/admin/api-keys'));
    await page.getByLabel('Name', { exact: true }).fill('e2e seeding');
    await page.getByLabel('Scope').selectOption('admin');
    await clickToLoad(page, page.getByRole('button', { name: 'Create key' }));
    const key = await page.getByLabel('New API key').inputValue();
    assert.match(key, /^av_[A-Za-z0-9]+_[A-Za-z0-9_-]+$/);
    s.apiKey = key;
    await page.goto(s.url('/admin/api-keys'));
    const html = await page.content();
    assert.ok(!html.includes(key), 'the key is not shown again');
    await expect(page.locator('tbody tr', { hasText: 'e2e seeding' })).toHaveText(/admin/);
    await s.shots.both(page, 'api-keys');
    await s.a11y('/admin/api-keys');
    const list = await s.vault.api('GET', '/api/credentials?limit=1', key);
    assert.equal(list.status, 200, 'the key works over REST');
    const shown = (await s.recorder.settled()).filter((r) => r.body.includes(key));
    assert.deepEqual(
      shown.map((r) => new URL(r.url).pathname),
      ['/admin/api-keys'],
      'only the create response carried the key',
    );
  });
}
