/**
 * Keyboard only, in a browser of its own: log in, add a credential, verify
 * and deactivate it, and log out, with Tab, Shift+Tab, typing, arrow keys,
 * Space and Enter; never a mouse click. (The per-page Tab walks in a11y.ts
 * check that every control is reachable; this checks that they also work.)
 */
import assert from 'node:assert/strict';
import type { Page } from '@playwright/test';
import { expectFlash, newContext } from '../browser.ts';
import { canary, type Suite } from '../suite.ts';
import { credentialRow } from './credentials.ts';

// A browser global, used only inside page.evaluate callbacks (the project's tsconfig has no DOM lib).
declare const document: any;

interface Focused {
  tag: string;
  id: string;
  text: string;
  form: string;
}

async function focused(page: Page): Promise<Focused> {
  return page.evaluate(() => {
    const el = document.activeElement;
    return {
      tag: String(el?.tagName ?? '').toLowerCase(),
      id: String(el?.id ?? ''),
      text: String(el?.textContent ?? '')
        .trim()
        .replace(/\s+/g, ' '),
      form: String(el?.form?.getAttribute('action') ?? ''),
    };
  });
}

/** Presses Tab until the focused element matches, failing after `max` presses. */
async function tabTo(page: Page, what: string, match: (f: Focused) => boolean, max = 80): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (match(await focused(page))) return;
  }
  assert.fail(`Tab never reached ${what}`);
}

/** Presses a key that makes the page navigate and waits for the new page. */
async function pressToLoad(page: Page, key: string): Promise<void> {
  await Promise.all([page.waitForEvent('load'), page.keyboard.press(key)]);
}

export async function keyboardFlow(s: Suite): Promise<void> {
  await s.runner.step(
    'keyboard only: log in, add a credential, verify and deactivate it, log out',
    async () => {
      const ctx = await newContext(s.browser, s.recorder);
      try {
        const page = await ctx.newPage();
        await page.goto(s.url('/login'));
        await page.keyboard.press('Tab');
        assert.equal((await focused(page)).text, 'Skip to content', 'the first Tab stop is the skip link');
        await tabTo(page, 'the email field', (f) => f.id === 'login-email');
        await page.keyboard.type(s.admin.email);
        await page.keyboard.press('Tab');
        await page.keyboard.type(s.admin.password);
        await pressToLoad(page, 'Enter');
        assert.equal(new URL(page.url()).pathname, '/admin/credentials');

        await tabTo(page, 'Add credential', (f) => f.tag === 'a' && f.text === 'Add credential');
        await pressToLoad(page, 'Enter');
        // The platform picker without its auto-submit: Tab to the select, choose with the arrow keys, Tab to Continue.
        await tabTo(page, 'the platform select', (f) => f.id === 'platform');
        // Chromium fires "change" on ArrowDown in a closed select, and the picker's script submits at once.
        await Promise.all([page.waitForEvent('load', { timeout: 3000 }), page.keyboard.press('ArrowDown')]).catch(() => undefined);
        if (!new URL(page.url()).searchParams.get('platform')) {
          await tabTo(page, 'Continue', (f) => f.text === 'Continue');
          await pressToLoad(page, 'Enter');
        }
        const platform = new URL(page.url()).searchParams.get('platform');
        assert.ok(platform, 'a platform was chosen with the keyboard');
        await tabTo(page, 'the name field', (f) => f.id === 'credential_name');
        await page.keyboard.type('Keyboard-only key');
        const fields = await page.locator('fieldset input').evaluateAll((els: any[]) => els.map((e) => String(e.id)));
        for (const id of fields) {
          await tabTo(page, id, (f) => f.id === id);
          await page.keyboard.type(id.includes('client_id') || id.includes('handle') ? 'keyboard-user-1' : canary('KB', 32));
        }
        await tabTo(page, 'the Add credential button', (f) => f.tag === 'button' && f.text === 'Add credential');
        await pressToLoad(page, 'Enter');
        await expectFlash(page, /^Added credential “Keyboard-only key”/);

        const row = credentialRow(page, 'Keyboard-only key');
        const rowForm = async (action: string) => (await row.locator(`form[action$="/${action}"]`).getAttribute('action')) ?? '';
        const verify = await rowForm('verify');
        await tabTo(page, 'Verify on the new row', (f) => f.form === verify, 400);
        await pressToLoad(page, 'Space');
        await expectFlash(page, /^Verify “Keyboard-only key” .*: decrypts under the current key\.$/);
        const deactivate = await rowForm('deactivate');
        await tabTo(page, 'Deactivate on the new row', (f) => f.form === deactivate, 400);
        await pressToLoad(page, 'Enter');
        await expectFlash(page, /^Deactivated “Keyboard-only key”/);

        await tabTo(page, 'Log out', (f) => f.tag === 'button' && f.text === 'Log out');
        await pressToLoad(page, 'Enter');
        await expectFlash(page, /^You have logged out\.$/);
        await s.assertPageClean(page);
      } finally {
        await ctx.close();
      }
    },
    120_000,
  );
}
