/**
 * Credential-key rotation in the browser. Hundreds of rows are seeded over
 * REST under key 1; the vault restarts with key 2 as CREDENTIAL_ENCRYPTION_KEY
 * and key 1 as CREDENTIAL_ENCRYPTION_KEY_PREVIOUS (what the operator's
 * `wrangler secret bulk` does); the admin starts the rotation on
 * /admin/rotation and the page's live progress runs until done, then shows
 * the next step. A collector's outstanding lease holds the rotation in
 * "draining" until the test releases it, so the page is seen live; the
 * progress bar and phase are sampled every 100 ms by an init script (kept in
 * sessionStorage across the page's own reload when the rotation ends).
 */
import assert from 'node:assert/strict';
import { expect } from '@playwright/test';
import { clickToLoad, expectFlash } from '../browser.ts';
import { canary, type Suite } from '../suite.ts';

export const SEEDED_ROWS = 400;

/** POSTs `n` serper credentials with canary keys over REST, a few at a time. */
export async function seedCredentials(s: Suite, n: number, prefix: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const res = await s.vault.api('POST', '/api/credentials', s.apiKey, {
        platform: 'serper',
        tier: 'medium',
        credential_name: `${prefix} ${String(i + 1).padStart(3, '0')}`,
        fields: { api_key: canary('SEED', 36) },
      });
      assert.equal(res.status, 201, `seeding row ${i + 1}: ${res.text.slice(0, 200)}`);
      s.extraBodies.push(res.text);
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
}

// A browser global, used only inside page.evaluate callbacks (the project's tsconfig has no DOM lib).
declare const sessionStorage: any;

interface Sample {
  phase: string;
  value: number;
  max: number;
}

const SAMPLER = `(() => {
  const key = 'e2e-rotation-samples';
  const sample = () => {
    const bar = document.getElementById('rotation-bar');
    const phase = document.getElementById('rotation-phase');
    if (!bar || !phase) return;
    const all = JSON.parse(sessionStorage.getItem(key) || '[]');
    const s = { phase: phase.textContent, value: bar.value, max: bar.max };
    const last = all[all.length - 1];
    if (!last || last.phase !== s.phase || last.value !== s.value || last.max !== s.max) {
      all.push(s);
      sessionStorage.setItem(key, JSON.stringify(all));
    }
  };
  document.addEventListener('DOMContentLoaded', sample);
  setInterval(sample, 100);
})();`;

/** How many credential rows the vault holds (over REST). */
async function credentialCount(s: Suite): Promise<number> {
  const res = await s.vault.api('GET', '/api/credentials?limit=1', s.apiKey);
  assert.equal(res.status, 200);
  return res.json.total as number;
}

export async function rotationFlows(s: Suite): Promise<void> {
  const { runner, page, keys } = s;
  let total = 0;

  await runner.step('rotation page before: keys, rows per key, the checklist with copyable commands', async () => {
    await s.adminCtx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: s.base });
    await page.goto(s.url('/admin/credentials'));
    assert.ok((await page.locator('.badge', { hasText: 'previous key' }).count()) > 0, 'rows under the old key say so');
    total = await credentialCount(s);
    assert.ok(total > SEEDED_ROWS);
    await page.goto(s.url('/admin/rotation'));
    const keysText = (await page.locator('section', { has: page.getByRole('heading', { name: 'Keys in use' }) }).textContent()) ?? '';
    assert.match(keysText, new RegExp(`Current key id: ${keys.id.k2}`));
    const k1Row = page.locator('tbody tr', { hasText: keys.id.k1 });
    await expect(k1Row, 'the old key holds every row').toHaveText(new RegExp(`previous${total}`));
    await expect(page.locator('#rotation-live')).toHaveText(new RegExp(`${total} row\\(s\\) are not under the current key`));
    const commands = page.locator('pre[data-copy]');
    const n = await commands.count();
    assert.ok(n >= 6, 'the checklist lists the commands');
    assert.equal(await page.getByRole('button', { name: 'Copy' }).count(), n, 'each command has a Copy button');
    // Step 1 backs up and verifies the new key before anything else (issue 15).
    await expect(commands.nth(0)).toHaveText(/backup-secrets/);
    await expect(commands.nth(1)).toHaveText(/verify-backup/);
    // Opened on 127.0.0.1, the page shows the local commands: no D1 Time Travel, no --remote.
    const all = await commands.allTextContents();
    assert.ok(!all.some((t) => t.includes('time-travel') || t.includes('--remote')), 'local commands only');
    const second = ((await commands.nth(1).textContent()) ?? '').trim();
    await page.getByRole('button', { name: 'Copy' }).nth(1).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    assert.equal(await page.evaluate(() => (navigator as any).clipboard.readText()), second);
    await s.shots.both(page, 'rotation-ready');
    await s.a11y('/admin/rotation');
  });

  await runner.step(
    `rotation over ${SEEDED_ROWS}+ rows: start, watch the live progress reach done, see the next step`,
    async () => {
      total ||= await credentialCount(s);
      // A collector holds a lease, so the rotation must wait in "draining" until it is released:
      // the page is then live for as long as the test wants, and the script (not a reload by the test) shows the end.
      const lease = await s.vault.api('POST', '/api/pool/acquire', s.apiKey, { platform: 'serper', tier: 'medium', task_id: 'e2e-drain', ttl_seconds: 300 });
      assert.equal(lease.status, 200, 'a collector lease before the rotation');
      await page.addInitScript(SAMPLER);
      await page.goto(s.url('/admin/rotation'));
      await page.getByRole('button', { name: 'Start rotation' }).click();
      assert.match(page.url(), /\/admin\/rotation$/, 'the required box stops the form');
      await page.getByLabel(/I have backed up both keys/).check();
      await clickToLoad(page, page.getByRole('button', { name: 'Start rotation' }));
      await expectFlash(page, /^Rotation started: collection is locked until it ends\.$/);
      assert.equal(await page.locator('#rotation-live').getAttribute('data-active'), 'true');
      await page.locator('#rotation-phase', { hasText: /^draining$/ }).waitFor();
      await expect(page.locator('#rotation-live')).toHaveText(/Next step: Wait: collection is paused until the rotation ends\. Keep both keys in place\./);
      assert.equal(await page.getByRole('button', { name: 'Abort after the current batch' }).count(), 1);
      const refused = await s.vault.api('POST', '/api/pool/acquire', s.apiKey, { platform: 'serper', tier: 'medium', task_id: 'e2e-refused' });
      assert.equal(refused.status, 423, 'the pool refuses new leases while the rotation runs');
      await s.shots.both(page, 'rotation-running');

      const released = await s.vault.api('POST', '/api/pool/release', s.apiKey, { lease_id: lease.json.lease_id });
      assert.equal(released.status, 200, 'the lease is released');
      // No navigation by the test from here: the live script follows the rotation and reloads the page when it ends.
      await page.locator('#rotation-phase', { hasText: /^done$/ }).waitFor({ timeout: 120_000 });
      await page.waitForFunction(() => {
        const all = JSON.parse(sessionStorage.getItem('e2e-rotation-samples') || '[]');
        return all.length > 0 && all[all.length - 1].phase === 'done';
      });
      const bar = page.locator('#rotation-bar');
      assert.equal(await bar.evaluate((b: any) => [b.value, b.max].join('/')), `${total}/${total}`, 'the bar is full');
      assert.equal((await page.locator('#rotation-count').textContent())?.trim(), `${total} of ${total} re-encrypted, 0 skipped, 0 failed (${total} verified)`);
      const live = (await page.locator('#rotation-live').textContent()) ?? '';
      assert.match(
        live,
        /Next step: Every row is under the new key\. Check GET \/api\/arenas\/health; you may now delete CREDENTIAL_ENCRYPTION_KEY_PREVIOUS\./,
      );
      assert.match(live, /Every row is under the current key: there is nothing to rotate\./);
      const rows = await page
        .locator('section', { has: page.getByRole('heading', { name: 'Keys in use' }) })
        .locator('tbody tr')
        .allTextContents();
      assert.deepEqual(rows, [`${keys.id.k2}current${total}`], 'every row is under the new key');

      const samples = (await page.evaluate(() => JSON.parse(sessionStorage.getItem('e2e-rotation-samples') || '[]'))) as Sample[];
      console.log(`        progress bar samples: ${samples.map((x) => `${x.phase} ${x.value}/${x.max}`).join(' → ')}`);
      assert.ok(
        samples.some((x) => x.phase === 'draining'),
        'the live page was seen draining',
      );
      for (let i = 1; i < samples.length; i++) {
        if (samples[i]!.max === samples[i - 1]!.max) assert.ok(samples[i]!.value >= samples[i - 1]!.value, 'the bar never goes back');
      }
      assert.deepEqual(samples.at(-1), { phase: 'done', value: total, max: total });
      await s.shots.both(page, 'rotation-done', { dark: true });
      await s.assertPageClean();
    },
    180_000,
  );

  await runner.step('after the rotation every credential shows the current key', async () => {
    await page.goto(s.url('/admin/credentials'));
    assert.equal(await page.locator('.badge', { hasText: 'previous key' }).count(), 0);
    assert.ok((await page.locator('.badge', { hasText: 'current key' }).count()) >= 10);
    await page.goto(s.url('/admin/audit?action=rotation.*'));
    await expect(page.locator('tbody')).toHaveText(/rotation\.done/);
    await s.shots.both(page, 'audit');
    await s.a11y('/admin/audit');
    await s.assertPageClean();
  });

  await runner.step('a second start says there is nothing to rotate', async () => {
    const res = await s.vault.api('POST', '/api/admin/rotations/credential-key', s.apiKey);
    assert.equal(res.status, 200);
    assert.equal(res.json.result, 'nothing_to_do');
    await page.goto(s.url('/admin/rotation'));
    assert.equal(await page.getByRole('button', { name: 'Start rotation' }).count(), 0);
  });
}
