/**
 * What every flow shares: the running vault, the browser, the admin's
 * context and page, the keys of each phase, the canary secrets planted so
 * far, and helpers for screenshots, accessibility checks and "this secret
 * must not be here" assertions.
 */
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { Fernet } from '../../src/crypto/fernet.ts';
import type { E2eVault, Vars } from './vault.ts';
import type { Runner } from './harness.ts';
import { logIn, newContext, ResponseRecorder, type Screenshots } from './browser.ts';
import { a11yContext, checkA11y, type CheckOptions } from './a11y.ts';

export interface Keys {
  secretKey: string;
  /** Credential keys: k1 at first, k2 after the rotation, k3 the one that gets "lost". */
  k1: string;
  k2: string;
  k3: string;
  id: { k1: string; k2: string; k3: string };
}

export async function makeKeys(): Promise<Keys> {
  const hex = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');
  const [k1, k2, k3] = [Fernet.generateKey(), Fernet.generateKey(), Fernet.generateKey()];
  const id = async (k: string) => (await Fernet.fromKey(k)).keyId;
  return { secretKey: hex, k1, k2, k3, id: { k1: await id(k1), k2: await id(k2), k3: await id(k3) } };
}

/** Every fake secret starts with this, so one search finds any of them, even the hundreds seeded over REST. */
export const CANARY_MARK = 'zzCanary';

/** A unique, greppable fake secret of `length` characters (at least 20). */
export function canary(tag: string, length = 40): string {
  const rnd = Array.from(crypto.getRandomValues(new Uint8Array(length)), (b) => 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'[b % 56]).join('');
  return `${CANARY_MARK}${tag}${rnd}`.slice(0, Math.max(20, length));
}

export class Suite {
  readonly recorder = new ResponseRecorder();
  /** Secrets that are not canaries: the master keys and the admin's password (canaries are found by CANARY_MARK). */
  readonly secrets = new Set<string>();
  /** Extra bodies fetched outside the browser (REST seeding) to scan for secrets. */
  readonly extraBodies: string[] = [];
  adminCtx!: BrowserContext;
  page!: Page;
  apiKey = '';
  a11yChecked: string[] = [];
  a11yMinor = new Map<string, string[]>();
  /** Serious/critical findings inside a third-party widget (Swagger UI), printed at the end, not failed. */
  a11yThirdParty = new Map<string, string[]>();

  constructor(
    readonly vault: E2eVault,
    readonly runner: Runner,
    readonly browser: Browser,
    readonly shots: Screenshots,
    readonly keys: Keys,
    readonly admin: { email: string; password: string },
  ) {
    for (const k of [keys.secretKey, keys.k1, keys.k2, keys.k3, admin.password]) this.secrets.add(k);
  }

  get base(): string {
    return this.vault.url;
  }

  url(p: string): string {
    return this.base + p;
  }

  /** Restarts wrangler dev on the same state with other variables. */
  async restart(vars: Vars, label: string): Promise<void> {
    await this.vault.stop();
    await this.vault.start(vars, label);
  }

  async openAdmin(): Promise<void> {
    this.adminCtx = await newContext(this.browser, this.recorder);
    this.page = await this.adminCtx.newPage();
  }

  /**
   * After a restart: makes sure the admin page still has a session (a
   * one-minute token may lapse while wrangler restarts), logging in again if not.
   */
  async ensureSession(): Promise<void> {
    await this.page.goto(this.url('/admin/credentials'));
    if (new URL(this.page.url()).pathname === '/login') {
      console.log('        (the admin session lapsed during the restart; logging in again)');
      await logIn(this.page, this.base, this.admin.email, this.admin.password);
    }
  }

  /**
   * Runs the accessibility checks on a path with the admin's cookies (or
   * none, or those of the context `from`, on the origin `base`), listed as
   * `label` (default: the path).
   */
  async a11y(
    p: string,
    opts: Omit<CheckOptions, 'loggedIn'> & { anonymous?: boolean; from?: BrowserContext; base?: string; label?: string } = {},
  ): Promise<void> {
    const label = opts.label ?? p;
    const ctx = await a11yContext(this.browser, opts.anonymous ? null : (opts.from ?? this.adminCtx));
    try {
      const report = await checkA11y(ctx, (opts.base ?? this.base) + p, { ...opts, loggedIn: !opts.anonymous });
      this.a11yChecked.push(`${label} (${report.tabStops} tab stops)`);
      if (report.minor.length) this.a11yMinor.set(label, report.minor);
      if (report.thirdParty.length) this.a11yThirdParty.set(label, report.thirdParty);
    } finally {
      await ctx.close();
    }
  }

  /** Asserts that no planted secret (nor any canary) occurs in `text` (named `where` in the failure). */
  assertNoSecret(text: string, where: string): void {
    assert.ok(!text.includes(CANARY_MARK), `a canary secret appears in ${where}`);
    for (const s of this.secrets) assert.ok(!text.includes(s), `a planted secret (${s.slice(0, 4)}…) appears in ${where}`);
  }

  async assertPageClean(page: Page = this.page): Promise<void> {
    this.assertNoSecret(await page.content(), `the page source of ${new URL(page.url()).pathname}`);
  }
}
