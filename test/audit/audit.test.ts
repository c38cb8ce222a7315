// The audit log: admin-only reads with filters and cursor paging, and no way
// to change or delete an event.
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/client.ts';
import { recordAudit } from '../../src/audit/audit.ts';
import { AuditQuery } from '../../src/audit/query.ts';
import { parseOrThrow } from '../../src/schema/validate.ts';
import { parseIsoTime as parseAuditTime } from '../../src/schema/time.ts';
import { api, createTestUser, type TestUser } from '../support/auth.ts';
import { call, createCredential, pageSession, serperBody } from '../credentials/support.ts';

const db = openDb(env.DB);
const T0 = Date.parse('2026-03-01T10:00:00Z');
const DAY = 86_400_000;
let admin: TestUser;
const actor = `test:${crypto.randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  admin = await createTestUser('admin');
  // Five events a day apart, by one actor only these tests use.
  for (let i = 0; i < 5; i++) {
    await recordAudit(db, { actor, action: i % 2 ? 'credential.update' : 'user.login', target: `credential:${100 + i}`, at: T0 + i * DAY, detail: { n: i } });
  }
});

const parseAuditQuery = (q: Record<string, string | undefined>) => parseOrThrow(AuditQuery, q);

describe('AuditQuery', () => {
  it('reads dates, date-times, prefixes and limits', () => {
    expect(parseAuditTime('2026-03-01', false)).toBe(Date.parse('2026-03-01T00:00:00Z'));
    expect(parseAuditTime('2026-03-01', true)).toBe(Date.parse('2026-03-02T00:00:00Z') - 1);
    expect(parseAuditTime('2026-03-01T12:30', false)).toBe(Date.parse('2026-03-01T12:30:00Z'));
    expect(parseAuditTime('2026-03-01T12:30:00+02:00', false)).toBe(Date.parse('2026-03-01T10:30:00Z'));
    expect(parseAuditTime('yesterday', false)).toBeNull();
    expect(parseAuditQuery({ action: 'credential.*', limit: '5', before: '9' })).toEqual({ actionPrefix: 'credential.', limit: 5, before: 9 });
    for (const bad of [{ from: 'x' }, { limit: '0' }, { limit: '500' }, { before: 'abc' }, { from: '2026-03-02', to: '2026-03-01' }]) {
      expect(() => parseAuditQuery(bad)).toThrow();
    }
  });
});

describe('GET /api/audit', () => {
  it('is admin only', async () => {
    expect((await call(null, 'GET', '/api/audit')).status).toBe(401);
    expect((await call(await createTestUser('researcher'), 'GET', '/api/audit')).status).toBe(403);
    const anonPage = await api('/admin/audit', { redirect: 'manual' });
    expect(anonPage.status).toBe(303);
  });

  it('filters by actor, action (exact or prefix), target and date range', async () => {
    const q = (s: string) => call(admin, 'GET', `/api/audit?actor=${encodeURIComponent(actor)}&${s}`);
    expect((await q('')).body.events.map((e: any) => e.detail.n)).toEqual([4, 3, 2, 1, 0]);
    expect((await q('action=credential.update')).body.events.map((e: any) => e.detail.n)).toEqual([3, 1]);
    expect((await q('action=user.*')).body.events.map((e: any) => e.detail.n)).toEqual([4, 2, 0]);
    expect((await q('action=USER.*')).body.events).toEqual([]);
    expect((await q('target=credential:102')).body.events.map((e: any) => e.detail.n)).toEqual([2]);
    expect((await q('from=2026-03-02&to=2026-03-03')).body.events.map((e: any) => e.detail.n)).toEqual([2, 1]);
    const one = (await q('target=credential:100')).body.events[0];
    expect(one).toMatchObject({ actor, action: 'user.login', target: 'credential:100', at: '2026-03-01T10:00:00.000Z', detail: { n: 0 } });
    expect((await call(admin, 'GET', '/api/audit?from=soon')).status).toBe(422);
  });

  it('pages newest first with a before-id cursor', async () => {
    const base = `/api/audit?actor=${encodeURIComponent(actor)}&limit=2`;
    const p1 = (await call(admin, 'GET', base)).body;
    expect(p1.events.map((e: any) => e.detail.n)).toEqual([4, 3]);
    const p2 = (await call(admin, 'GET', `${base}&before=${p1.next_before}`)).body;
    expect(p2.events.map((e: any) => e.detail.n)).toEqual([2, 1]);
    const p3 = (await call(admin, 'GET', `${base}&before=${p2.next_before}`)).body;
    expect(p3.events.map((e: any) => e.detail.n)).toEqual([0]);
    expect(p3.next_before).toBeNull();
  });
});

describe('append-only', () => {
  it('refuses POST, PUT, PATCH and DELETE on the audit API and changes nothing', async () => {
    const count = async () => (await env.DB.prepare('SELECT COUNT(*) AS n, MAX(id) AS m FROM audit_events').first<{ n: number; m: number }>())!;
    const before = await count();
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      for (const path of ['/api/audit', `/api/audit/${before.m}`]) {
        const r = await call(admin, method, path, { action: 'tampered' });
        expect(r.status, `${method} ${path}`).toBe(405);
        expect(r.body.error.code).toBe('METHOD_NOT_ALLOWED');
        expect(r.headers.get('allow')).toBe('GET');
        expect(r.body.error.message).toContain('append-only');
      }
    }
    expect(await count()).toEqual(before);
    // And no page route changes events either.
    const page = await pageSession(admin);
    expect((await page.post('/admin/audit', { action: 'x' })).status).toBe(404);
    expect((await page.post(`/admin/audit/${before.m}/delete`, {})).status).toBe(404);
    expect(await count()).toEqual(before);
  });
});

describe('/admin/audit', () => {
  it('lists events with filters and escapes what it shows', async () => {
    const evil = '<script>alert("audit")</script>';
    const v = await createCredential(admin, serperBody(`audit ${evil}`));
    const page = await pageSession(admin);
    const { status, html } = await page.get(`/admin/audit?target=credential:${v.id}`);
    expect(status).toBe(200);
    expect(html).toContain('credential.create');
    expect(html).not.toContain('<script>alert("audit")</script>');
    expect(html).toContain('&lt;script&gt;');
    const filtered = await page.get(`/admin/audit?actor=${encodeURIComponent(actor)}&limit=2`);
    expect(filtered.html).toContain('Older →');
    expect(filtered.html).toContain(`value="${actor}"`);
    expect((await page.get('/admin/audit?to=nope')).status).toBe(422);
  });
});
