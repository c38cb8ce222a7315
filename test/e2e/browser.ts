/**
 * Debian's Chromium under @playwright/test: the launch options
 * (playwright.config.ts passes them to the `browser` fixture), browser
 * contexts that record every response body (so the suite can assert a secret
 * never came back to the browser), screenshots at 1280 and 390 px, and the
 * login helper every flow uses.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { expect, type Browser, type BrowserContext, type BrowserContextOptions, type LaunchOptions, type Locator, type Page } from '@playwright/test';

export const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';

/**
 * playwright's launch() gives every browser a fresh temp --user-data-dir of
 * its own; the flags keep Chromium off the (closed) network.
 */
export const LAUNCH_OPTIONS: LaunchOptions = {
  executablePath: CHROMIUM,
  headless: true,
  timeout: 60_000,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
};

export interface RecordedResponse {
  url: string;
  status: number;
  body: string;
}

/** Collects the body of every response a context receives. */
export class ResponseRecorder {
  readonly responses: RecordedResponse[] = [];
  #pending: Promise<void>[] = [];

  attach(ctx: BrowserContext): void {
    ctx.on('response', (res) => {
      this.#pending.push(
        res.text().then(
          (body) => void this.responses.push({ url: res.url(), status: res.status(), body }),
          () => void this.responses.push({ url: res.url(), status: res.status(), body: '' }), // redirects have no body
        ),
      );
    });
  }

  async settled(): Promise<RecordedResponse[]> {
    await Promise.allSettled(this.#pending);
    return this.responses;
  }
}

export const VIEWPORT = { width: 1280, height: 800 };
export const NARROW = { width: 390, height: 844 };

export async function newContext(browser: Browser, recorder: ResponseRecorder | null, opts: BrowserContextOptions = {}): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: VIEWPORT, colorScheme: 'light', ...opts });
  ctx.setDefaultTimeout(15_000);
  ctx.setDefaultNavigationTimeout(30_000);
  recorder?.attach(ctx);
  return ctx;
}

export class Screenshots {
  readonly taken: string[] = [];
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  /** Full-page screenshots of the current page at 1280 and 390 px (light), plus an optional dark one at 1280. */
  async both(page: Page, name: string, opts: { dark?: boolean } = {}): Promise<void> {
    const original = page.viewportSize() ?? VIEWPORT;
    try {
      await this.#shoot(page, `${name}-1280`, VIEWPORT);
      await this.#shoot(page, `${name}-390`, NARROW);
      if (opts.dark) {
        await page.emulateMedia({ colorScheme: 'dark' });
        await this.#shoot(page, `${name}-1280-dark`, VIEWPORT);
      }
    } finally {
      await page.emulateMedia({ colorScheme: 'light' });
      await page.setViewportSize(original);
    }
  }

  async #shoot(page: Page, file: string, size: { width: number; height: number }): Promise<void> {
    await page.setViewportSize(size);
    const to = path.join(this.dir, `${file}.png`);
    await page.screenshot({ path: to, fullPage: true, animations: 'disabled' });
    this.taken.push(path.basename(to));
  }
}

/**
 * Clicks a link or submit button and waits for the page it loads (a plain
 * click returns before a form's Post/Redirect/Get has finished).
 */
export async function clickToLoad(page: Page, target: Locator): Promise<void> {
  await Promise.all([page.waitForEvent('load'), target.click()]);
}

/** Fills and submits the login form on the current /login page. */
export async function submitLogin(page: Page, email: string, password: string): Promise<void> {
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await clickToLoad(page, page.getByRole('button', { name: 'Log in' }));
}

/** Opens /login and logs in; asserts that it landed on an admin page. */
export async function logIn(page: Page, base: string, email: string, password: string): Promise<void> {
  await page.goto(`${base}/login`);
  await submitLogin(page, email, password);
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
  assert.notEqual(new URL(page.url()).pathname, '/login', 'still on /login after logging in');
}

/** The flash message (role=status) the last action left. */
export function flash(page: Page): Locator {
  return page.locator('main > .notice[role=status]').first();
}

/** The text of the flash message the last action left, or ''. */
export async function flashText(page: Page): Promise<string> {
  const f = flash(page);
  return (await f.count()) ? ((await f.textContent()) ?? '').trim() : '';
}

/** Expects the page to show (within 10 s, retrying) a flash message matching `re`, and returns its text. */
export async function expectFlash(page: Page, re: RegExp): Promise<string> {
  await expect(flash(page), `a flash message matching ${re} on ${page.url()}`).toHaveText(re, { timeout: 10_000 });
  return ((await flash(page).textContent()) ?? '').trim();
}
