/**
 * Arena health, a credential's usage plot and "Check with provider" in the
 * browser (issue 23). Phase A runs with PROVIDER_CHECK_ORIGIN pointing at a
 * provider stand-in (a local HTTP server started here), so the check never
 * leaves the machine: the stand-in records what it got, and the suite
 * asserts the key went there and nowhere else (not into any page).
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clickToLoad, expectFlash } from '../browser.ts';
import { canary, type Suite } from '../suite.ts';

export interface ProviderStandIn {
  origin: string;
  /** Every request it got: method, path and headers. */
  received: { method: string; path: string; headers: IncomingMessage['headers'] }[];
  /** The status it answers with. */
  status: number;
  close(): Promise<void>;
}

/** A provider stand-in on a free 127.0.0.1 port. */
export async function startProviderStandIn(): Promise<ProviderStandIn> {
  const standIn: ProviderStandIn = {
    origin: '',
    received: [],
    status: 200,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const server = createServer((req, res) => {
    standIn.received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    req.resume();
    res.writeHead(standIn.status, { 'content-type': 'application/json' });
    res.end('{"data":{"label":"stand-in"}}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  standIn.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return standIn;
}

export async function healthFlows(s: Suite, standIn: ProviderStandIn): Promise<void> {
  const { runner, page } = s;
  const key = canary('OR', 40);
  let credentialPath = '';

  await runner.step('credential page: the usage plot (SVG + table) and "Check with provider" against the stand-in', async () => {
    await s.ensureSession();
    await page.goto(s.url('/admin/credentials/new?platform=openrouter'));
    await page.getByLabel('Name', { exact: true }).fill('OpenRouter checked');
    await page.getByLabel('Daily quota').fill('100');
    await page.getByLabel('API key').fill(key);
    await clickToLoad(page, page.getByRole('button', { name: 'Add credential' }));
    await expectFlash(page, /^Added credential “OpenRouter checked”/);
    await clickToLoad(page, page.getByRole('link', { name: 'OpenRouter checked', exact: true }));
    credentialPath = new URL(page.url()).pathname;
    assert.match(credentialPath, /^\/admin\/credentials\/[0-9]+$/);
    const plot = page.locator('svg[role="img"]');
    assert.equal(await plot.count(), 1);
    assert.equal(await plot.locator('title').textContent(), 'Units per day: OpenRouter checked');
    assert.match((await plot.locator('desc').textContent()) ?? '', /Daily quota: 100 units/);
    assert.equal(await page.locator('svg line.quota').count(), 1, 'the quota line is drawn');
    await page.getByText('Data table: Units per day: OpenRouter checked').click();
    assert.equal(await page.locator('details table tbody tr').count(), 30);
    await s.shots.both(page, 'credential-usage');

    standIn.received.length = 0;
    await clickToLoad(page, page.getByRole('button', { name: 'Check with provider' }));
    await expectFlash(page, /^Check with provider: ok \(HTTP 200: the provider accepted the credential\)\.$/);
    assert.equal(standIn.received.length, 1, 'one call to the provider stand-in');
    assert.equal(standIn.received[0]!.path, '/api/v1/key');
    assert.equal(standIn.received[0]!.headers.authorization, `Bearer ${key}`);
    assert.match((await page.locator('main').textContent()) ?? '', /Last check: ok/);
    await s.shots.both(page, 'credential-checked');
    await s.assertPageClean();
    await s.a11y(credentialPath);
  });

  await runner.step('arena health page: first in the navigation, counts per platform/tier, plots and the last check', async () => {
    await s.ensureSession();
    await page.goto(s.url('/admin/credentials'));
    assert.equal(await page.locator('nav.main a').first().textContent(), 'Arena health');
    await clickToLoad(page, page.locator('nav.main a').first());
    assert.equal(new URL(page.url()).pathname, '/admin/health');
    await page.getByRole('heading', { level: 1, name: 'Arena health' }).waitFor();
    const row = page.locator('table tbody tr').filter({ has: page.locator('th', { hasText: /^openrouter$/ }) });
    assert.equal(await row.count(), 1);
    assert.ok((await page.locator('svg[role="img"]').count()) >= 1, 'a plot per platform/tier');
    const checks = page.locator('table tbody tr').filter({ has: page.getByRole('link', { name: 'OpenRouter checked' }) });
    assert.match((await checks.textContent()) ?? '', /ok .*HTTP 200/);
    assert.match(await page.request.get(s.url('/api/health')).then((r) => r.text()), /PROVIDER_CHECK_ORIGIN is set/);
    await s.shots.both(page, 'arena-health');
    await s.assertPageClean();
    await s.a11y('/admin/health');
  });
}
