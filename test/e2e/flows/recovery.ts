/**
 * The lost-key banner and the recovery flow. Two credentials are written
 * under key 3 (the vault runs with key 3 current, key 2 previous), a query
 * design relies on them; then the vault restarts with key 2 alone, as if key
 * 3 were lost. Every admin page shows the banner; /admin/recovery explains,
 * "Check again" reports, the purge needs the typed phrase, deletes exactly
 * those rows and switches their arenas off; after the credentials are
 * entered again, "Re-enable" switches exactly those arenas back on.
 */
import assert from 'node:assert/strict';
import { expect } from '@playwright/test';
import { clickToLoad, expectFlash } from '../browser.ts';
import { canary, type Suite } from '../suite.ts';
import { createDesign, setArena } from './query-designs.ts';
import { credentialRow } from './credentials.ts';

const DESIGN = 'Video platforms';

/** While key 3 is current: the credentials and the design that will lose them. */
export async function prepareLostKey(s: Suite): Promise<void> {
  await s.runner.step('under key 3: add YouTube and Twitch credentials, and a design that uses them', async () => {
    const page = s.page;
    await page.goto(s.url('/admin/credentials/new?platform=youtube'));
    await page.getByLabel('Name', { exact: true }).fill('YouTube key');
    await page.getByLabel('API key', { exact: true }).fill(canary('YT', 39));
    await clickToLoad(page, page.getByRole('button', { name: 'Add credential' }));
    await expectFlash(page, new RegExp(`^Added credential “YouTube key” \\(youtube, free\\), encrypted under key ${s.keys.id.k3}\\.$`));
    const res = await s.vault.api('POST', '/api/credentials', s.apiKey, {
      platform: 'twitch',
      tier: 'free',
      credential_name: 'Twitch app',
      fields: { client_id: 'twitch-e2e-client', client_secret: canary('TW', 30) },
    });
    assert.equal(res.status, 201);
    assert.equal(res.json.key_id, s.keys.id.k3);
    s.extraBodies.push(res.text);
    const path = await createDesign(s, DESIGN);
    await setArena(page, 'YouTube', true, 'free');
    await setArena(page, 'Twitch', true, 'free');
    await clickToLoad(page, page.getByRole('button', { name: 'Save' }));
    await expectFlash(page, new RegExp(`^Saved “${DESIGN}”: enabled YouTube \\(free\\), Twitch \\(free\\)\\.$`));
    designPath = path;
  });
}

let designPath = '';

export async function recoveryFlows(s: Suite): Promise<void> {
  const { runner, page, keys } = s;
  const lost = keys.id.k3;

  await runner.step('the lost-key banner is on every admin page and links to recovery', async () => {
    for (const p of ['/admin/credentials', '/admin/users', '/admin/query-designs', '/admin/rotation', '/admin/audit']) {
      await page.goto(s.url(p));
      // The lost-key banner (an open-alerts banner may stand beside it).
      const banner = page.locator('main > .notice[role=alert]', { hasText: 'which is not in the key ring' });
      assert.equal(await banner.count(), 1, `one banner on ${p}`);
      assert.match(
        (await banner.textContent()) ?? '',
        new RegExp(
          `^2 credentials are encrypted under key ${lost}, which is not in the key ring: they cannot be decrypted or leased\\. Everything else keeps working\\. What to do$`,
        ),
      );
    }
    await page.goto(s.url('/admin/credentials?platform=youtube'));
    await expect(credentialRow(page, 'YouTube key')).toHaveText(new RegExp(`undecryptable: key ${lost} missing`));
    await s.shots.both(page, 'credentials-lost-key');
    await clickToLoad(page, page.locator('main > .notice[role=alert]', { hasText: 'which is not in the key ring' }).getByRole('link', { name: 'What to do' }));
    assert.equal(new URL(page.url()).pathname, '/admin/recovery');
  });

  await runner.step('recovery: the page explains, and “Check again” reports what is still missing', async () => {
    const main = (await page.locator('main').textContent()) ?? '';
    assert.match(main, new RegExp(`2 rows under missing key ${lost}\\.`));
    assert.match(main, new RegExp(`Key ${lost} holds: (youtube free \\(1\\), twitch free \\(1\\)|twitch free \\(1\\), youtube free \\(1\\))`));
    assert.match(
      main,
      /Purging every missing-key row now deletes 2 rows and disables YouTube \(free\) in query design \d+; Twitch \(free\) in query design \d+\./,
    );
    await s.shots.both(page, 'recovery', { dark: true });
    await s.a11y('/admin/recovery');
    await clickToLoad(page, page.getByRole('button', { name: 'Check again' }));
    await expectFlash(page, /^0 rows are readable under previous keys; 2 still under missing keys\.$/);
  });

  await runner.step('recovery: the purge needs the exact phrase, then deletes only the lost rows and disables their arenas', async () => {
    const confirm = page.getByLabel(/to confirm$/);
    await confirm.fill('purge');
    await clickToLoad(page, page.getByRole('button', { name: 'Purge unrecoverable credentials' }));
    await expectFlash(page, /^Nothing purged: .*PURGE UNRECOVERABLE CREDENTIALS/);
    await page.getByLabel(/to confirm$/).fill('PURGE UNRECOVERABLE CREDENTIALS');
    await clickToLoad(page, page.getByRole('button', { name: 'Purge unrecoverable credentials' }));
    await expectFlash(page, /^Purged 2 unrecoverable credentials; disabled 2 arena settings\. Re-enter the credentials, then re-enable them below\.$/);
    assert.equal(await page.locator('main > .notice[role=alert]', { hasText: 'which is not in the key ring' }).count(), 0, 'the banner is gone');
    await expect(page.locator('main')).toHaveText(/Every credential row is under a key in the key ring/);
    await page.goto(s.url(designPath));
    assert.equal(await page.getByRole('checkbox', { name: 'YouTube', exact: true }).isChecked(), false);
    assert.equal(await page.getByRole('checkbox', { name: 'Twitch', exact: true }).isChecked(), false);
    const serper = await s.vault.api('GET', '/api/credentials?platform=serper&limit=1', s.apiKey);
    assert.ok(serper.json.total >= 400, 'the other credentials are untouched');
  });

  await runner.step('recovery: re-enter the credentials, then re-enable exactly the arenas the purge disabled', async () => {
    await page.goto(s.url('/admin/credentials/new?platform=youtube'));
    await page.getByLabel('Name', { exact: true }).fill('YouTube key (re-entered)');
    await page.getByLabel('API key', { exact: true }).fill(canary('YT2', 39));
    await clickToLoad(page, page.getByRole('button', { name: 'Add credential' }));
    await expectFlash(page, new RegExp(`encrypted under key ${keys.id.k2}\\.$`));
    await page.goto(s.url('/admin/credentials/new?platform=twitch'));
    await page.getByLabel('Name', { exact: true }).fill('Twitch app (re-entered)');
    await page.getByLabel('Client id').fill('twitch-e2e-client');
    await page.getByLabel('Client secret').fill(canary('TW2', 30));
    await clickToLoad(page, page.getByRole('button', { name: 'Add credential' }));
    await expectFlash(page, /^Added credential “Twitch app \(re-entered\)”/);
    await page.goto(s.url('/admin/recovery'));
    await clickToLoad(page, page.getByRole('button', { name: 'Re-enable these 2' }));
    await expectFlash(page, /^Re-enabled 2 arena settings\.$/);
    await s.shots.both(page, 'recovery-done');
    await page.goto(s.url(designPath));
    assert.equal(await page.getByRole('checkbox', { name: 'YouTube', exact: true }).isChecked(), true);
    assert.equal(await page.getByRole('checkbox', { name: 'Twitch', exact: true }).isChecked(), true);
    await s.assertPageClean();
  });
}
