import { env, SELF } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { createTestUser, type TestUser } from '../support/auth.ts';
import { resetPool, seedCredential } from '../pool/support.ts';
import { utcDay } from '../../src/usage/history.ts';

let admin: TestUser;

beforeEach(async () => {
  for (const t of ['api_credentials', 'credential_usage_days', 'credential_checks', 'alerts']) await env.DB.prepare(`DELETE FROM ${t}`).run();
  await resetPool();
  admin = await createTestUser('admin');
});

const page = (path: string, user: TestUser = admin) => SELF.fetch(`https://vault.test${path}`, { headers: { authorization: user.headers.authorization! } });

describe('/admin/health', () => {
  it('shows open alerts, counts per platform/tier, a plot per platform/tier and the last check of each credential', async () => {
    const a = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-serper-health-01' }, name: 'Serper A', dailyQuota: 50 });
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-serper-health-02' }, name: 'Serper B', dailyQuota: 70 });
    await env.DB.prepare('INSERT INTO credential_usage_days (credential_id, day, leases, units) VALUES (?, ?, 3, 12)').bind(a, utcDay(Date.now())).run();
    await env.DB.prepare(
      "INSERT INTO credential_checks (credential_id, result, checked_at, detail) VALUES (?, 'auth_failed', ?, 'HTTP 401: the provider refused the credential')",
    )
      .bind(a, Date.now())
      .run();
    await env.DB.prepare(
      "INSERT INTO alerts (kind, subject, severity, summary, opened_at) VALUES ('no_credential_available', 'reddit:free', 'critical', 'No usable reddit free credential', ?)",
    )
      .bind(Date.now())
      .run();

    const r = await page('/admin/health');
    expect(r.status).toBe(200);
    const html = await r.text();
    // First in the admin navigation.
    expect(html.match(/<nav class="main"[^>]*><ul><li><a href="([^"]+)"/)?.[1]).toBe('/admin/health');
    expect(html).toContain('Open alerts (1)');
    expect(html).toContain('no_credential_available');
    expect(html).toMatch(
      /<th scope="row" data-label="Platform">serper<\/th><td data-label="Tier">medium<\/td><td data-label="Active">2<\/td><td data-label="Usable">2<\/td>/,
    );
    expect(html).toContain('<title id="plot-serper-medium-title">Units per day: serper medium</title>');
    expect(html).toContain('Daily quota: 120 units');
    expect(html).toContain('12 in total');
    expect(html).toContain('HTTP 401: the provider refused the credential');
    expect(html).toContain('never checked');
    expect(html).not.toContain('CANARY');
  });

  it('is for admins only', async () => {
    const researcher = await createTestUser('researcher');
    expect((await page('/admin/health', researcher)).status).toBe(403);
  });
});
