/**
 * Alerts end to end through the real Worker: each kind opens on POST
 * /api/alerts/check and resolves when its cause goes away; repeated checks
 * never open or queue twice; silence is audited and mutes; destinations are
 * sealed and shown by host only; a canary credential never reaches a
 * response, a queued message, the delivery log or an audit event.
 * (rotation_stalled needs the rotated ring of the rotation project: see
 * test/rotation/rotation-stalled-alert.test.ts.)
 */
import { auditD1Statement } from '../../src/audit/audit.ts';
import { env, SELF } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { createTestUser, type TestUser } from '../support/auth.ts';
import { TEST_CREDENTIAL_KEY_2 } from '../support/keys.ts';
import { apiKeyHeaders, post, resetPool, seedCredential, syncPool } from '../pool/support.ts';

const CANARY = 'CANARY-alerts-5e1f9d3c';
const URL_TOKEN = 'URLTOKEN-9b8a7c6d';
let admin: TestUser;

beforeEach(async () => {
  for (const t of ['alert_deliveries', 'alert_destinations', 'alerts', 'api_credentials', 'query_designs']) await env.DB.prepare(`DELETE FROM ${t}`).run();
  await env.DB.prepare("DELETE FROM api_keys WHERE name LIKE 'alerts-test%'").run();
  await resetPool();
  admin = await createTestUser('admin');
});

async function call(method: string, path: string, body?: unknown) {
  const res = await SELF.fetch(`https://vault.test${path}`, { method, headers: admin.headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  expect(text).not.toContain(CANARY);
  expect(text).not.toContain(URL_TOKEN);
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

type Alert = { id: number; kind: string; subject: string; severity: string; opened_at: string };

async function check(): Promise<Alert[]> {
  const r = await call('POST', '/api/alerts/check');
  expect(r.status).toBe(200);
  return r.body.alerts as Alert[];
}

const open = (alerts: Alert[]) => alerts.map((a) => `${a.kind} ${a.subject}`).sort();

async function enableArena(arena: string, tier: string) {
  const r = await call('POST', '/api/query-designs', {
    name: `alerts ${crypto.randomUUID().slice(0, 6)}`,
    description: 'x',
    arenas_config: { arenas: [{ id: arena, enabled: true, tier }] },
  });
  expect(r.status).toBe(201);
}

async function deliveries() {
  return (
    await env.DB.prepare('SELECT * FROM alert_deliveries ORDER BY id').all<{
      alert_id: number;
      event: string;
      body: string;
      status: string;
      attempts: number;
      last_error: string | null;
    }>()
  ).results;
}

describe('alert kinds open and resolve', () => {
  it('no_credential_available and lost_key', async () => {
    await enableArena('youtube', 'free');
    expect(open(await check())).toEqual(['no_credential_available youtube/free']);
    const lost = await seedCredential({ platform: 'youtube', tier: 'free', fields: { api_key: CANARY }, key: TEST_CREDENTIAL_KEY_2 });
    const lostKeyId = (await env.DB.prepare('SELECT key_id FROM api_credentials WHERE id = ?').bind(lost).first<{ key_id: string }>())!.key_id;
    // A row under a missing key is no usable credential.
    expect(open(await check())).toEqual([`lost_key key:${lostKeyId}`, 'no_credential_available youtube/free']);
    await seedCredential({ platform: 'youtube', tier: 'free', fields: { api_key: CANARY } });
    expect(open(await check())).toEqual([`lost_key key:${lostKeyId}`]);
    await env.DB.prepare('DELETE FROM api_credentials WHERE id = ?').bind(lost).run();
    expect(open(await check())).toEqual([]);
    const rows = await env.DB.prepare('SELECT kind, resolved_at FROM alerts ORDER BY id').all<{ kind: string; resolved_at: number | null }>();
    expect(rows.results.map((r) => [r.kind, r.resolved_at !== null])).toEqual([
      ['no_credential_available', true],
      ['lost_key', true],
    ]);
  });

  it('credential_expiring', async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: CANARY } });
    await env.DB.prepare('UPDATE api_credentials SET expires_at = ? WHERE id = ?')
      .bind(Date.now() + 3 * 86_400_000, id)
      .run();
    expect(open(await check())).toEqual([`credential_expiring credential:${id}`]);
    await env.DB.prepare('UPDATE api_credentials SET expires_at = ? WHERE id = ?')
      .bind(Date.now() + 30 * 86_400_000, id)
      .run();
    expect(open(await check())).toEqual([]);
  });

  it('credential_deactivated: the pool deactivated it after auth failures; resolves when reactivated', async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: CANARY }, isActive: false });
    expect(open(await check())).toEqual([]); // an admin's deactivation is not an alert
    // The event the pool writes after the third auth failure, through the one audit writer.
    await auditD1Statement(env.DB, { actor: 'pool', action: 'credential.deactivate', target: `credential:${id}`, detail: { reason: 'auth_failed' } }).run();
    expect(open(await check())).toEqual([`credential_deactivated credential:${id}`]);
    await env.DB.prepare('UPDATE api_credentials SET is_active = 1 WHERE id = ?').bind(id).run();
    expect(open(await check())).toEqual([]);
  });

  it("quota_nearly_exhausted from the pool's own counters", async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: CANARY }, dailyQuota: 5 });
    const collector = await apiKeyHeaders('collector');
    const lease = await (await post('/api/pool/acquire', collector, { platform: 'serper', tier: 'medium', task_id: 'alerts-test' })).json<{
      lease_id: string;
    }>();
    expect((await post('/api/pool/release', collector, { lease_id: lease.lease_id, units_used: 3 })).status).toBe(200);
    expect(open(await check())).toEqual([]); // 3 of 5
    const again = await (await post('/api/pool/acquire', collector, { platform: 'serper', tier: 'medium', task_id: 'alerts-test' })).json<{
      lease_id: string;
    }>();
    expect((await post('/api/pool/release', collector, { lease_id: again.lease_id, units_used: 1 })).status).toBe(200);
    expect(open(await check())).toEqual([`quota_nearly_exhausted credential:${id}/daily`]); // 4 of 5
    await env.DB.prepare('UPDATE api_credentials SET daily_quota = 100 WHERE id = ?').bind(id).run();
    await syncPool();
    expect(open(await check())).toEqual([]);
  });

  it('api_key_expiring', async () => {
    const row = await env.DB.prepare(
      "INSERT INTO api_keys (name, scope, key_prefix, key_hash, created_at, expires_at) VALUES ('alerts-test key', 'collector', ?, 'h', ?, ?) RETURNING id",
    )
      .bind(crypto.randomUUID().slice(0, 8), Date.now(), Date.now() + 2 * 86_400_000)
      .first<{ id: number }>();
    expect(open(await check())).toEqual([`api_key_expiring api_key:${row!.id}`]);
    await env.DB.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ?').bind(Date.now(), row!.id).run();
    expect(open(await check())).toEqual([]);
  });
});

describe('dedup, deliveries, silence', () => {
  async function destination(kind = 'json') {
    // Nothing listens on port 9 of the loopback: every attempt fails with "could not connect".
    const r = await call('POST', '/api/alerts/destinations', { kind, name: `ops ${kind}`, url: `http://127.0.0.1:9/hook/${URL_TOKEN}` });
    expect(r.status).toBe(201);
    return r.body as { destination: { id: number; host: string }; signing_secret: string };
  }

  it('an alert opens once however often the check runs, and is queued once when it opens and once when it resolves', async () => {
    await destination();
    await enableArena('youtube', 'free');
    const first = await check();
    const again = await check();
    expect(again).toEqual(first);
    expect(first).toHaveLength(1);
    let d = await deliveries();
    expect(d.map((x) => [x.alert_id, x.event])).toEqual([[first[0]!.id, 'opened']]);
    // The first attempt was made before the answer.
    expect(d[0]!.attempts).toBeGreaterThanOrEqual(1);
    expect(d[0]!.last_error).toBe('could not connect');
    await seedCredential({ platform: 'youtube', tier: 'free', fields: { api_key: CANARY } });
    expect(await check()).toEqual([]);
    await check();
    d = await deliveries();
    expect(d.map((x) => [x.alert_id, x.event])).toEqual([
      [first[0]!.id, 'opened'],
      [first[0]!.id, 'resolved'],
    ]);
    for (const x of d) {
      expect(x.body).not.toContain(CANARY);
      expect(x.body).not.toContain(URL_TOKEN);
    }
  });

  it("silence is audited and mutes the alert's deliveries", async () => {
    await destination();
    await enableArena('youtube', 'free');
    const [a] = await check();
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const r = await call('POST', `/api/alerts/${a!.id}/silence`, { until });
    expect(r.status).toBe(200);
    expect(r.body.silenced_until).toBe(until);
    const ev = await env.DB.prepare("SELECT actor, target, detail FROM audit_events WHERE action = 'alert.silence' ORDER BY id DESC LIMIT 1").first<{
      actor: string;
      target: string;
      detail: string;
    }>();
    expect(ev).toMatchObject({ actor: `user:${admin.id}`, target: `alert:${a!.id}` });
    await seedCredential({ platform: 'youtube', tier: 'free', fields: { api_key: CANARY } });
    await check();
    expect((await deliveries()).map((x) => x.event)).toEqual(['opened']); // no "resolved" while silenced
    expect((await call('POST', '/api/alerts/999999/silence', { until })).status).toBe(404);
    expect((await call('POST', `/api/alerts/${a!.id}/silence`, { until: '2020-01-01T00:00:00Z' })).status).toBe(422);
  });

  it('destinations: https only (loopback http allowed), sealed, shown by host, deleted with their log', async () => {
    const bad = await call('POST', '/api/alerts/destinations', { kind: 'slack', name: 'x', url: `http://example.com/${URL_TOKEN}` });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details.field).toBe('url');
    expect((await call('POST', '/api/alerts/destinations', { kind: 'email', name: 'x', url: 'https://example.com/' })).status).toBe(422);
    const created = await destination('slack');
    expect(created.destination.host).toBe('127.0.0.1:9');
    expect(created.signing_secret).toMatch(/^avsig_[0-9a-f]{64}$/);
    const stored = await env.DB.prepare('SELECT * FROM alert_destinations').first<Record<string, string>>();
    expect(JSON.stringify(stored)).not.toContain(URL_TOKEN);
    expect(JSON.stringify(stored)).not.toContain(created.signing_secret);
    const list = await call('GET', '/api/alerts/destinations');
    expect(JSON.stringify(list.body)).not.toContain(created.signing_secret);
    expect(list.body.destinations).toHaveLength(1);
    const audit = await env.DB.prepare("SELECT detail FROM audit_events WHERE action LIKE 'alert_destination.%'").all<{ detail: string }>();
    expect(JSON.stringify(audit.results)).not.toContain(URL_TOKEN);
    const sent = await call('POST', `/api/alerts/destinations/${created.destination.id}/test`);
    expect(sent.status).toBe(200);
    expect(sent.body.delivery).toMatchObject({ event: 'test', status: 'pending', attempts: 1, last_error: 'could not connect' });
    const log = await call('GET', '/api/alerts/deliveries');
    expect(log.body.deliveries).toHaveLength(1);
    expect((await call('DELETE', `/api/alerts/destinations/${created.destination.id}`)).status).toBe(204);
    expect((await call('DELETE', `/api/alerts/destinations/${created.destination.id}`)).status).toBe(404);
    expect(await deliveries()).toEqual([]);
  });

  it('the page lists open alerts and failing deliveries; other admin pages carry the banner', async () => {
    await destination();
    await enableArena('youtube', 'free');
    await check();
    const { pageSession } = await import('../support/page-session.ts');
    const s = await pageSession(admin);
    const page = await s.get('/admin/alerts');
    expect(page.status).toBe(200);
    const html = page.html;
    expect(html).toContain('no_credential_available');
    expect(html).toContain('<a href="/admin/alerts" aria-current="page">Alerts</a>');
    expect(html).toContain('failing: retrying');
    expect(html).not.toContain(URL_TOKEN);
    const other = (await s.get('/admin/credentials')).html;
    expect(other).toContain('1 open alert (1 critical)');
  });
});
