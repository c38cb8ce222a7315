/** Query designs in the browser: create one, switch arenas on and off with tiers, see it in the list. */
import assert from 'node:assert/strict';
import { expect, type Page } from '@playwright/test';
import { clickToLoad, expectFlash } from '../browser.ts';
import type { Suite } from '../suite.ts';

/** Ticks or unticks an arena on the edit page and picks its tier. */
export async function setArena(page: Page, label: string, on: boolean, tier?: string): Promise<void> {
  const box = page.getByRole('checkbox', { name: label, exact: true });
  if (on) await box.check();
  else await box.uncheck();
  if (tier) await page.getByLabel(`${label} tier`, { exact: true }).selectOption(tier);
}

/** Creates a design on /admin/query-designs and returns its edit path. */
export async function createDesign(s: Suite, name: string, description = ''): Promise<string> {
  const page = s.page;
  await page.goto(s.url('/admin/query-designs'));
  await page.getByLabel('Name', { exact: true }).fill(name);
  if (description) await page.getByLabel('Description').fill(description);
  await clickToLoad(page, page.getByRole('button', { name: 'Create' }));
  await expectFlash(page, new RegExp(`^Created “${name}”\\. Now pick its arenas\\.$`));
  assert.match(new URL(page.url()).pathname, /^\/admin\/query-designs\/\d+$/);
  return new URL(page.url()).pathname;
}

export async function queryDesignFlows(s: Suite): Promise<void> {
  const { runner, page } = s;
  let editPath = '';

  await runner.step('create a query design', async () => {
    editPath = await createDesign(s, 'Election 2026 monitoring', 'Search, X and Reddit around the election.');
    assert.equal(await page.title(), 'Query design: Election 2026 monitoring · arena-vault');
  });

  await runner.step('toggle arenas and tiers on a query design', async () => {
    await page.goto(s.url(editPath));
    await setArena(page, 'Google Search', true, 'medium');
    await setArena(page, 'X / Twitter', true, 'premium');
    await setArena(page, 'Reddit', true, 'free');
    await clickToLoad(page, page.getByRole('button', { name: 'Save' }));
    await expectFlash(page, /^Saved “Election 2026 monitoring”: enabled Google Search \(medium\), X \/ Twitter \(premium\), Reddit \(free\)\.$/);
    assert.equal(await page.getByRole('checkbox', { name: 'Reddit', exact: true }).isChecked(), true);
    await s.shots.both(page, 'query-design-edit');

    await setArena(page, 'Reddit', false);
    await setArena(page, 'Google Search', true, 'premium');
    await clickToLoad(page, page.getByRole('button', { name: 'Save' }));
    await expectFlash(page, /^Saved “Election 2026 monitoring”: enabled Google Search \(premium\), X \/ Twitter \(premium\)\.$/);
    assert.equal(await page.getByRole('checkbox', { name: 'Reddit', exact: true }).isChecked(), false);
    assert.equal(await page.getByLabel('Google Search tier', { exact: true }).inputValue(), 'premium');

    await page.goto(s.url('/admin/query-designs'));
    const row = page.locator('tbody tr', { hasText: 'Election 2026 monitoring' });
    await expect(row).toHaveText(/Google Search \(premium\), X \/ Twitter \(premium\)/);
    await s.shots.both(page, 'query-designs');
    await s.a11y('/admin/query-designs');
    await s.a11y(editPath);
  });

  await runner.step('delete a query design, with confirmation', async () => {
    const path = await createDesign(s, 'Scratch design');
    await page.goto(s.url(path));
    await page.getByRole('button', { name: 'Delete query design' }).click();
    assert.equal(new URL(page.url()).pathname, path, 'the required box stops the form');
    await page.getByLabel('Yes, delete “Scratch design”').check();
    await clickToLoad(page, page.getByRole('button', { name: 'Delete query design' }));
    await expectFlash(page, /^Deleted “Scratch design”\.$/);
    assert.equal(await page.locator('tbody tr', { hasText: 'Scratch design' }).count(), 0);
  });
}
