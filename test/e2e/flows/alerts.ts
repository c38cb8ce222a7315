/**
 * Alerts in the browser against a real receiver: a local HTTP server that
 * refuses the first delivery (500) and accepts the next. The admin adds a
 * signed JSON destination on /admin/alerts (its URL carries a canary token:
 * the suite's final scan proves it never shows up in a response or the log),
 * reads the signing secret shown once, sends a test: the first attempt fails
 * before the answer, the retry 5 s later (in the request's waitUntil) gets
 * through, and every body's X-Arena-Vault-Signature checks out with
 * node:crypto. Then "Check now", screenshots and axe on the page.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { clickToLoad, expectFlash } from '../browser.ts';
import { canary, type Suite } from '../suite.ts';

interface Hit {
  body: string;
  signature: string;
  at: number;
}

async function receiver(): Promise<{ server: Server; port: number; hits: Hit[] }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      hits.push({ body: Buffer.concat(chunks).toString('utf8'), signature: String(req.headers['x-arena-vault-signature'] ?? ''), at: Date.now() });
      res.statusCode = hits.length === 1 ? 500 : 200;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port, hits };
}

function signatureOk(secret: string, hit: Hit): boolean {
  const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(hit.body).digest('hex')}`);
  const got = Buffer.from(hit.signature);
  return got.length === want.length && timingSafeEqual(got, want);
}

export async function alertFlows(s: Suite): Promise<void> {
  const { runner, page } = s;
  const rx = await receiver();
  const urlToken = canary('HOOK', 32);
  try {
    await runner.step('alerts: add a signed JSON destination; its secret is shown once, its URL only by host', async () => {
      await page.goto(s.url('/admin/alerts'));
      await page.locator('#dest-kind').selectOption('json');
      await page.getByLabel('Name', { exact: true }).fill('Ops receiver');
      await page.getByLabel('Webhook URL', { exact: true }).fill(`http://127.0.0.1:${rx.port}/hook/${urlToken}`);
      await clickToLoad(page, page.getByRole('button', { name: 'Add destination' }));
      const shown = (await page.locator('.card[role=status] code').last().textContent()) ?? '';
      assert.match(shown, /^avsig_[0-9a-f]{64}$/);
      assert.match((await page.locator('tbody tr', { hasText: 'Ops receiver' }).textContent()) ?? '', new RegExp(`127\\.0\\.0\\.1:${rx.port}`));
      await page.goto(s.url('/admin/alerts'));
      assert.ok(!(await page.content()).includes(shown), 'the signing secret is shown once only');
      await s.assertPageClean();

      await clickToLoad(page, page.getByRole('button', { name: 'Send test to Ops receiver' }));
      await expectFlash(page, /^Test message not delivered yet \(receiver answered HTTP 500\); it is retried, see the delivery log\.$/);
      for (const until = Date.now() + 20_000; rx.hits.length < 2 && Date.now() < until; ) await page.waitForTimeout(250);
      assert.equal(rx.hits.length, 2, 'the retry reached the receiver');
      assert.ok(rx.hits[1]!.at - rx.hits[0]!.at <= 10_000, 'the first retry came within 10 s');
      for (const h of rx.hits) assert.ok(signatureOk(shown, h), 'X-Arena-Vault-Signature is the HMAC-SHA256 of the raw body');
      assert.equal(JSON.parse(rx.hits[1]!.body).event, 'test');
      await page.goto(s.url('/admin/alerts'));
      const row = page.locator('tbody tr', { hasText: 'Ops receiver' }).last();
      assert.match((await row.textContent()) ?? '', /delivered/);
    });

    await runner.step('alerts: “Check now” reports the open alerts; the page is clean and accessible', async () => {
      await clickToLoad(page, page.getByRole('button', { name: 'Check now' }));
      await expectFlash(page, /^Checked: \d+ open alerts?\.$/);
      await s.shots.both(page, 'alerts', { dark: true });
      await s.a11y('/admin/alerts');
      await s.assertPageClean();
      for (const h of rx.hits) s.assertNoSecret(h.body, 'an alert message');
    });
  } finally {
    await new Promise((r) => rx.server.close(r));
  }
}
