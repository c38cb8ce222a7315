/**
 * Accessibility basics on a page:
 * - axe-core (WCAG 2.x A/AA + best practices), at 1280 and at 390 px and in
 *   dark mode: any serious or critical violation fails; lesser ones are printed;
 * - our own checks: a title, one main landmark, a banner, every visible form
 *   control labelled;
 * - keyboard only: Tab from the top of the page reaches every visible link,
 *   button, field and summary (a radio group counts once), and each focused
 *   element shows a focus style (an outline or a box-shadow).
 *
 * axe runs through @axe-core/playwright (AxeBuilder), in a separate browser
 * context with `bypassCSP: true` that carries the admin's cookies (the flows
 * themselves run under the real CSP).
 */
import assert from 'node:assert/strict';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { NARROW, newContext, VIEWPORT } from './browser.ts';

// Browser globals, used only inside page.evaluate callbacks (the project's tsconfig has no DOM lib).
declare const document: any;
declare const window: any;
declare const getComputedStyle: any;

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

export interface A11yReport {
  url: string;
  minor: string[];
  tabStops: number;
  /** Serious or critical violations inside the third-party part (CheckOptions.thirdParty): reported, not failed. */
  thirdParty: string[];
}

export interface CheckOptions {
  keyboard?: boolean;
  loggedIn?: boolean;
  /** A page drawn by script after load: wait for this selector before checking. */
  ready?: string;
  /**
   * A state no URL opens by itself (the answer to a form, such as freshly
   * generated recovery codes): run after loading the URL, before checking.
   */
  prepare?: (page: Page) => Promise<void>;
  /**
   * The part of the page a third-party widget draws (the API reference's
   * Swagger UI, `#swagger-ui`). Every check fails on our own markup as
   * usual; inside this part, axe's serious and critical findings are returned
   * in `thirdParty` for the run to print, and the landmark count and Tab walk
   * leave it out. We cannot fix that markup, and hiding the findings would be
   * worse than listing them.
   */
  thirdParty?: string;
}

/** A context for the checks, with the cookies of `from` (a logged-in context) or none. */
export async function a11yContext(browser: Browser, from: BrowserContext | null): Promise<BrowserContext> {
  return newContext(browser, null, { bypassCSP: true, storageState: from ? await from.storageState() : undefined });
}

/**
 * axe on the whole page, or (`scope`) on all but / only the part a third-party
 * widget draws (see CheckOptions.thirdParty).
 */
async function runAxe(page: Page, scope: { exclude?: string; include?: string } = {}): Promise<AxeViolation[]> {
  let axe = new AxeBuilder({ page }).withTags(AXE_TAGS).options({ resultTypes: ['violations'] });
  if (scope.include) axe = axe.include(scope.include);
  else if (scope.exclude) axe = axe.exclude(scope.exclude);
  const r = await axe.analyze();
  return r.violations.map((v) => ({
    id: v.id,
    impact: v.impact ?? null,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target.map(String) })),
  }));
}

async function structure(page: Page, outside: string | undefined): Promise<{ title: string; mains: number; banners: number; unlabelled: string[] }> {
  return page.evaluate((outside) => {
    const ours = (el: any): boolean => !outside || !el.closest(outside);
    const visible = (el: any): boolean => el.checkVisibility?.({ visibilityProperty: true }) ?? true;
    const controls: any[] = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')].filter(visible).filter(ours);
    const unlabelled: string[] = controls
      .filter((c) => !(c.labels?.length || c.getAttribute('aria-label')?.trim() || c.getAttribute('aria-labelledby')))
      .map((el) => el.outerHTML.slice(0, 120));
    return {
      title: document.title.trim(),
      mains: [...document.querySelectorAll('main, [role=main]')].filter(ours).length,
      banners: document.querySelectorAll('body > header, [role=banner]').length,
      unlabelled,
    };
  }, outside);
}

/** Tabs through the page; returns the expected stops that were never reached and stops without a visible focus style. */
async function keyboardWalk(page: Page, outside: string | undefined): Promise<{ missed: string[]; noFocusStyle: string[]; stops: number }> {
  const expected = await page.evaluate((outside) => {
    const sel =
      'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';
    const visible = (el: any): boolean => el.checkVisibility?.({ visibilityProperty: true }) ?? true;
    const skipLink = (el: any): boolean => el.classList.contains('skip'); // off-screen until focused, by design
    const out: { idx: string; group: string; text: string }[] = [];
    let i = 0;
    for (const el of document.querySelectorAll(sel) as any[]) {
      if (!visible(el) && !skipLink(el)) continue;
      if (outside && el.closest(outside)) continue;
      const idx = String(i++);
      el.setAttribute('data-e2e-tab', idx);
      const radio = el.tagName === 'INPUT' && el.type === 'radio' ? `radio:${el.name}` : idx;
      const text = String(el.getAttribute('aria-label') || el.textContent || el.name || el.tagName)
        .trim()
        .replace(/\s+/g, ' ')
        .slice(0, 60);
      out.push({ idx, group: radio, text: `${el.tagName.toLowerCase()} “${text}”` });
    }
    document.activeElement?.blur();
    window.scrollTo(0, 0);
    return out;
  }, outside);
  const reached = new Set<string>();
  const noFocusStyle: string[] = [];
  let first: string | null = null;
  let stops = 0;
  for (let n = 0; n < expected.length + 10; n++) {
    await page.keyboard.press('Tab');
    const at = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const s = getComputedStyle(el);
      const outlined = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
      return {
        idx: el.getAttribute('data-e2e-tab') as string | null,
        styled: Boolean(outlined || s.boxShadow !== 'none'),
        tag: String(el.outerHTML).slice(0, 100) as string,
      };
    });
    if (!at) {
      if (stops > 0) break;
      continue;
    }
    if (at.idx === null) continue;
    if (at.idx === first) break;
    first ??= at.idx;
    stops++;
    reached.add(at.idx);
    if (!at.styled) noFocusStyle.push(at.tag);
  }
  const reachedGroups = new Set(expected.filter((e) => reached.has(e.idx)).map((e) => e.group));
  const missed = expected.filter((e) => !reachedGroups.has(e.group)).map((e) => e.text);
  return { missed, noFocusStyle, stops };
}

/**
 * Loads `url` in `ctx` (a context from a11yContext) and runs every check;
 * throws an AssertionError listing what failed.
 */
export async function checkA11y(ctx: BrowserContext, url: string, opts: CheckOptions = {}): Promise<A11yReport> {
  const page = await ctx.newPage();
  const ours = { exclude: opts.thirdParty };
  const thirdParty = new Set<string>();
  const theirs = async (when: string) => {
    if (!opts.thirdParty) return;
    for (const v of await runAxe(page, { include: opts.thirdParty })) {
      if (v.impact === 'serious' || v.impact === 'critical')
        thirdParty.add(`${v.impact} ${v.id}${when} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
  };
  try {
    await page.goto(url);
    await opts.prepare?.(page);
    if (opts.ready) await page.locator(opts.ready).first().waitFor();
    const problems: string[] = [];
    const violations = await runAxe(page, ours);
    await theirs('');
    const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    for (const v of bad) problems.push(`axe ${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    const s = await structure(page, opts.thirdParty);
    if (!s.title) problems.push('the page has no title');
    if (s.mains !== 1) problems.push(`expected one main landmark, found ${s.mains}`);
    if (s.banners < 1) problems.push('no banner landmark (header)');
    for (const u of s.unlabelled) problems.push(`form control without a label: ${u}`);
    if (opts.loggedIn && !(await page.getByRole('navigation', { name: 'Main' }).count())) problems.push('no main navigation landmark');
    // The same rules at phone width, where tables scroll and the header wraps.
    await page.setViewportSize(NARROW);
    const narrow = (await runAxe(page, ours)).filter((v) => (v.impact === 'serious' || v.impact === 'critical') && !bad.some((b) => b.id === v.id));
    for (const v of narrow) problems.push(`axe ${v.impact} ${v.id} at 390 px: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    await theirs(' at 390 px');
    await page.setViewportSize(VIEWPORT);
    // And in dark mode (colour contrast of the dark palette).
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = (await runAxe(page, ours)).filter((v) => (v.impact === 'serious' || v.impact === 'critical') && !bad.some((b) => b.id === v.id));
    for (const v of dark) problems.push(`axe ${v.impact} ${v.id} in dark mode: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    await theirs(' in dark mode');
    await page.emulateMedia({ colorScheme: 'light' });
    let stops = 0;
    if (opts.keyboard !== false) {
      const k = await keyboardWalk(page, opts.thirdParty);
      stops = k.stops;
      for (const m of k.missed) problems.push(`keyboard: Tab never reaches ${m}`);
      for (const f of k.noFocusStyle.slice(0, 5)) problems.push(`keyboard: no visible focus style on ${f}`);
    }
    assert.deepEqual(problems, [], `accessibility problems on ${new URL(url).pathname}`);
    return { url, minor: violations.filter((v) => !bad.includes(v)).map((v) => `${v.impact} ${v.id}`), tabStops: stops, thirdParty: [...thirdParty] };
  } finally {
    await page.close();
  }
}
