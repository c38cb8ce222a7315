/**
 * Credentials in the browser: the add form follows the chosen platform's
 * fields; after saving, secrets are masked (set, length class, at most the
 * last 4) and the full value is in no page; replace a secret; deactivate,
 * reactivate, verify, and delete behind a confirmation; and the same pages
 * without JavaScript.
 */
import assert from 'node:assert/strict';
import { expect, type Page } from '@playwright/test';
import { clickToLoad, expectFlash, logIn, newContext } from '../browser.ts';
import { canary, type Suite } from '../suite.ts';

/** The label texts of the platform's credential-field inputs on the add form. */
async function fieldLabels(page: Page): Promise<string[]> {
  return page.locator('fieldset label').allTextContents();
}

/** The table row of the credential named `name` on the list page. */
export function credentialRow(page: Page, name: string) {
  return page.locator('tbody tr').filter({ has: page.locator('strong', { hasText: new RegExp(`^${name}$`) }) });
}

async function pickPlatform(page: Page, label: RegExp): Promise<void> {
  // With JavaScript the picker submits itself on change.
  await Promise.all([
    page.waitForURL(/\/admin\/credentials\/new\?platform=/),
    page.getByLabel('Platform').selectOption({ label: await optionLabel(page, label) }),
  ]);
}

async function optionLabel(page: Page, label: RegExp): Promise<string> {
  const all = await page.locator('#platform option').allTextContents();
  const hit = all.find((t) => label.test(t));
  assert.ok(hit, `platform option ${label}`);
  return hit;
}

export async function credentialFlows(s: Suite): Promise<void> {
  const { runner, page } = s;
  const xSecrets = { bearer: canary('XB', 90), key: canary('XK', 30), secret: canary('XS', 44) };
  const reddit = { id: `e2e-client-${Date.now().toString(36)}`, secret: canary('RS', 30), ua: 'arena-vault-e2e/1.0 by u/researcher' };

  await runner.step('add credential: the form follows the platform, and an x_twitter secret is masked after saving', async () => {
    await page.goto(s.url('/admin/credentials'));
    await clickToLoad(page, page.getByRole('link', { name: 'Add credential' }));
    await s.shots.both(page, 'credential-new-platform');
    await pickPlatform(page, /^Reddit/);
    assert.deepEqual(await fieldLabels(page), ['Client id', 'Client secret', 'User agent']);
    assert.equal(await page.getByLabel('Client secret').getAttribute('type'), 'password');
    assert.equal(await page.getByLabel('Client id').getAttribute('type'), 'text');
    await clickToLoad(page, page.getByRole('link', { name: 'choose another platform' }));
    await pickPlatform(page, /^X API/);
    assert.deepEqual(await fieldLabels(page), ['Bearer token', 'API key (consumer key)', 'API secret (consumer secret)']);
    for (const l of ['Bearer token', 'API key (consumer key)', 'API secret (consumer secret)']) {
      assert.equal(await page.getByLabel(l, { exact: true }).getAttribute('type'), 'password', `${l} is a password input`);
    }
    await page.getByLabel('Name', { exact: true }).fill('X research bearer');
    await page.getByLabel('Daily quota').fill('5000');
    await page.getByLabel('Bearer token').fill(xSecrets.bearer);
    await page.getByLabel('API key (consumer key)').fill(xSecrets.key);
    await page.getByLabel('API secret (consumer secret)').fill(xSecrets.secret);
    await s.shots.both(page, 'credential-new-x_twitter');
    await clickToLoad(page, page.getByRole('button', { name: 'Add credential' }));
    await page.waitForURL((u) => u.pathname === '/admin/credentials');
    await expectFlash(page, new RegExp(`^Added credential “X research bearer” \\(x_twitter, premium\\), encrypted under key ${s.keys.id.k1}\\.$`));
    const row = credentialRow(page, 'X research bearer');
    const text = (await row.textContent()) ?? '';
    assert.match(text, new RegExp(`Bearer token: set, long, ends …${xSecrets.bearer.slice(-4)}`));
    assert.match(text, /API secret \(consumer secret\): set, medium(?!, ends)/);
    assert.match(text, /current key/, 'the key status is shown on the row');
    await s.assertPageClean();
  });

  await runner.step('add credential: reddit keeps its non-secret fields visible and its secret masked', async () => {
    await page.goto(s.url('/admin/credentials/new?platform=reddit'));
    await page.getByLabel('Name', { exact: true }).fill('Reddit app');
    await page.getByLabel('Client id').fill(reddit.id);
    await page.getByLabel('Client secret').fill(reddit.secret);
    await page.getByLabel('User agent').fill(reddit.ua);
    await clickToLoad(page, page.getByRole('button', { name: 'Add credential' }));
    await expectFlash(page, /^Added credential “Reddit app” \(reddit, free\)/);
    const text = (await credentialRow(page, 'Reddit app').textContent()) ?? '';
    assert.ok(text.includes(`Client id: ${reddit.id}`) && text.includes(`User agent: ${reddit.ua}`), 'plain fields are shown');
    assert.match(text, /Client secret: set, medium/);
    await s.shots.both(page, 'credentials', { dark: true });
    await s.assertPageClean();
    await s.a11y('/admin/credentials');
    await s.a11y('/admin/credentials/new');
    await s.a11y('/admin/credentials/new?platform=x_twitter');
  });

  await runner.step('a refused form keeps plain fields and never refills secrets', async () => {
    await page.goto(s.url('/admin/credentials/new?platform=reddit'));
    await page.getByLabel('Name', { exact: true }).fill('Reddit bad agent');
    await page.getByLabel('Client id').fill(reddit.id);
    await page.getByLabel('Client secret').fill(reddit.secret);
    await page.getByLabel('User agent').fill('short'); // below the 8-character minimum the browser also enforces
    await page.getByLabel('User agent').evaluate((el) => el.removeAttribute('minlength')); // let the server judge it
    await clickToLoad(page, page.getByRole('button', { name: 'Add credential' }));
    await expectFlash(page, /^Not saved: fields\.user_agent/);
    assert.equal(await page.getByLabel('Client id').inputValue(), reddit.id);
    assert.equal(await page.getByLabel('Client secret').inputValue(), '', 'the secret is not echoed back');
    await s.assertPageClean();
  });

  await runner.step('replace a secret', async () => {
    const fresh = { bearer: canary('XB2', 90), key: canary('XK2', 30), secret: canary('XS2', 44) };
    await page.goto(s.url('/admin/credentials'));
    await clickToLoad(page, credentialRow(page, 'X research bearer').getByRole('link', { name: /^Replace secret/ }));
    await expect(page.locator('main')).toHaveText(/X research bearer · x_twitter · premium · current key/);
    assert.equal(await page.getByLabel('Bearer token').inputValue(), '', 'the form starts empty');
    await page.getByLabel('Bearer token').fill(fresh.bearer);
    await page.getByLabel('API key (consumer key)').fill(fresh.key);
    await page.getByLabel('API secret (consumer secret)').fill(fresh.secret);
    await s.shots.both(page, 'credential-replace-secret');
    await clickToLoad(page, page.getByRole('button', { name: 'Replace secret' }));
    await expectFlash(page, new RegExp(`^Replaced the secret of “X research bearer” \\(x_twitter, premium\\); now under key ${s.keys.id.k1}\\.$`));
    const text = (await credentialRow(page, 'X research bearer').textContent()) ?? '';
    assert.match(text, new RegExp(`ends …${fresh.bearer.slice(-4)}`), 'the list shows the new value’s hint');
    await s.assertPageClean();
    const id = new URL(
      (await credentialRow(page, 'X research bearer')
        .getByRole('link', { name: /^Replace secret/ })
        .getAttribute('href'))!,
      s.base,
    ).pathname.split('/')[3];
    await s.a11y(`/admin/credentials/${id}/secret`);
    await s.a11y(`/admin/credentials/${id}/edit`);
  });

  await runner.step('verify, deactivate, reactivate, and delete with confirmation', async () => {
    await page.goto(s.url('/admin/credentials/new?platform=serper'));
    await page.getByLabel('Name', { exact: true }).fill('Serper to delete');
    const key = canary('SD', 32);
    await page.getByLabel('API key', { exact: true }).fill(key);
    await clickToLoad(page, page.getByRole('button', { name: 'Add credential' }));
    await expectFlash(page, /^Added credential “Serper to delete”/);

    await clickToLoad(page, credentialRow(page, 'Serper to delete').getByRole('button', { name: /^Verify/ }));
    await expectFlash(page, /^Verify “Serper to delete” \(serper, medium\): decrypts under the current key\.$/);

    await clickToLoad(page, credentialRow(page, 'Serper to delete').getByRole('button', { name: /^Deactivate/ }));
    await expectFlash(page, /^Deactivated “Serper to delete” \(serper, medium\)\.$/);
    await expect(credentialRow(page, 'Serper to delete')).toHaveText(/inactive/);

    await clickToLoad(page, credentialRow(page, 'Serper to delete').getByRole('button', { name: /^Activate/ }));
    await expectFlash(page, /^Activated “Serper to delete” \(serper, medium\)\.$/);
    assert.doesNotMatch((await credentialRow(page, 'Serper to delete').textContent()) ?? '', /inactive/);

    await clickToLoad(page, credentialRow(page, 'Serper to delete').getByRole('link', { name: /^Delete/ }));
    assert.match(await page.title(), /^Delete credential/);
    await s.shots.both(page, 'credential-delete-confirm');
    await s.a11y(new URL(page.url()).pathname);
    // The box is required: the browser refuses to send the form without it.
    await page.getByRole('button', { name: 'Delete credential' }).click();
    assert.match(page.url(), /\/delete$/, 'nothing is sent without the tick');
    await page.getByLabel(/I understand this deletes/).check();
    await clickToLoad(page, page.getByRole('button', { name: 'Delete credential' }));
    await expectFlash(page, /^Deleted credential “Serper to delete” \(serper, medium\)\.$/);
    assert.equal(await credentialRow(page, 'Serper to delete').count(), 0);
    await s.assertPageClean();
  });

  await runner.step('without JavaScript: pick a platform, add, deactivate; the rotation checklist', async () => {
    const ctx = await newContext(s.browser, s.recorder, { javaScriptEnabled: false });
    try {
      const p = await ctx.newPage();
      await logIn(p, s.base, s.admin.email, s.admin.password);
      await p.goto(s.url('/admin/credentials/new'));
      await p.getByLabel('Platform').selectOption('bluesky');
      await clickToLoad(p, p.getByRole('button', { name: 'Continue' }));
      assert.deepEqual(await fieldLabels(p), ['Handle', 'App password']);
      const pw = canary('BS', 24);
      await p.getByLabel('Name', { exact: true }).fill('Bluesky no-JS');
      await p.getByLabel('Handle').fill('vault-e2e.bsky.social');
      await p.getByLabel('App password').fill(pw);
      await clickToLoad(p, p.getByRole('button', { name: 'Add credential' }));
      await expectFlash(p, /^Added credential “Bluesky no-JS” \(bluesky, free\)/);
      await clickToLoad(p, credentialRow(p, 'Bluesky no-JS').getByRole('button', { name: /^Deactivate/ }));
      await expectFlash(p, /^Deactivated “Bluesky no-JS”/);
      await s.assertPageClean(p);
      // The rotation checklist is plain text without JavaScript (only the Copy buttons need it).
      await p.goto(s.url('/admin/rotation'));
      assert.ok((await p.locator('pre[data-copy]').count()) >= 6, 'the commands are on the page');
      assert.equal(await p.getByRole('button', { name: 'Copy' }).count(), 0);
      await expect(p.locator('#rotation-live')).toHaveText(/Every row is under the current key: there is nothing to rotate\./);
    } finally {
      await ctx.close();
    }
  });
}
