import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { api, createTestUser, type TestUser } from '../support/auth.ts';
import { apiKeyHeaders } from '../pool/support.ts';
import { pageSession } from '../support/page-session.ts';
import { replaceArenasConfigStatement } from '../../src/query-designs/store.ts';
import type { ArenasConfig } from '../../src/arenas/arenas-config.ts';

async function call(user: TestUser | Record<string, string> | null, method: string, path: string, json?: unknown) {
  const headers = user === null ? { 'content-type': 'application/json' } : 'headers' in user ? (user as TestUser).headers : (user as Record<string, string>);
  const res = await api(path, { method, headers, json });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const searchMedium = {
  arenas: [
    { id: 'google_search', enabled: true, tier: 'medium' },
    { id: 'gdelt', enabled: true, tier: 'free' },
  ],
};

describe('REST /api/query-designs', () => {
  it('creates, reads, updates and deletes a design, auditing each change', async () => {
    const owner = await createTestUser('researcher');
    const created = await call(owner, 'POST', '/api/query-designs', { name: 'Elections', description: 'EU 2026', arenas_config: searchMedium });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ owner_id: owner.id, name: 'Elections', description: 'EU 2026', arenas_config: searchMedium });
    const id = created.body.id as number;

    expect((await call(owner, 'GET', `/api/query-designs/${id}`)).body.name).toBe('Elections');
    const patched = await call(owner, 'PATCH', `/api/query-designs/${id}`, { arenas_config: { arenas: [{ id: 'reddit', enabled: true, tier: 'free' }] } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Elections', arenas_config: { arenas: [{ id: 'reddit', enabled: true, tier: 'free' }] } });

    const del = await call(owner, 'DELETE', `/api/query-designs/${id}`);
    expect(del.body).toEqual({ id, deleted: true });
    expect((await call(owner, 'GET', `/api/query-designs/${id}`)).status).toBe(404);
    const { results } = await env.DB.prepare('SELECT action FROM audit_events WHERE target = ? ORDER BY id')
      .bind(`query_design:${id}`)
      .all<{ action: string }>();
    expect(results.map((r) => r.action)).toEqual(['query_design.create', 'query_design.update', 'query_design.delete']);
  });

  it('validates arenas_config against the registry: unknown arena or missing tier → 422', async () => {
    const owner = await createTestUser('researcher');
    const unknown = await call(owner, 'POST', '/api/query-designs', {
      name: 'x',
      arenas_config: { arenas: [{ id: 'friendster', enabled: true, tier: 'free' }] },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'arenas_config.arenas.0.id' } });
    expect(unknown.body.error.details.fields).toEqual([{ field: 'arenas_config.arenas.0.id', message: 'must be an arena from the arena registry' }]);
    const tier = await call(owner, 'POST', '/api/query-designs', { name: 'x', arenas_config: { arenas: [{ id: 'majestic', enabled: true, tier: 'free' }] } });
    expect(tier.status).toBe(422);
    expect(tier.body.error.details.field).toBe('arenas_config.arenas.0.tier');
    const bad = await api('/api/query-designs', { method: 'POST', headers: owner.headers, body: '{"name":' });
    expect(bad.status).toBe(400);
  });

  it('lets researchers see and edit only their own designs; admins see all', async () => {
    const alice = await createTestUser('researcher');
    const bob = await createTestUser('researcher');
    const admin = await createTestUser('admin');
    const a = (await call(alice, 'POST', '/api/query-designs', { name: 'Alice design' })).body.id as number;
    const b = (await call(bob, 'POST', '/api/query-designs', { name: 'Bob design' })).body.id as number;

    const aliceList = (await call(alice, 'GET', '/api/query-designs')).body;
    expect(aliceList.items.map((d: { id: number }) => d.id)).toEqual([a]);
    expect((await call(alice, 'GET', `/api/query-designs/${b}`)).status).toBe(404);
    expect((await call(alice, 'PATCH', `/api/query-designs/${b}`, { name: 'mine now' })).status).toBe(404);
    expect((await call(alice, 'DELETE', `/api/query-designs/${b}`)).status).toBe(404);

    const adminIds = (await call(admin, 'GET', '/api/query-designs')).body.items.map((d: { id: number }) => d.id);
    expect(adminIds).toEqual(expect.arrayContaining([a, b]));
    expect((await call(admin, 'PATCH', `/api/query-designs/${b}`, { name: 'Renamed by admin' })).body.name).toBe('Renamed by admin');

    expect((await call(null, 'GET', '/api/query-designs')).status).toBe(401);
    expect((await call(await apiKeyHeaders('collector'), 'GET', '/api/query-designs')).status).toBe(403);
  });
});

describe('/admin/query-designs page', () => {
  it('creates a design, enables arenas and picks tiers by form, and re-renders a 422 for a tier the arena lacks', async () => {
    const user = await createTestUser('researcher');
    const s = await pageSession(user, '/admin/query-designs');
    const refused = await s.post('/admin/query-designs', { name: '   ', description: 'Kept \u202e text' });
    expect(refused.status).toBe(422);
    expect(refused.html).toContain('Not created: name: is required and must not be empty; description: must not contain control');

    const created = await s.post('/admin/query-designs', { name: 'Form <script>alert(1)</script> design' });
    expect(created.status).toBe(303);
    const id = Number(/\/admin\/query-designs\/(\d+)/.exec(created.location!)![1]);

    const page = await s.get(`/admin/query-designs/${id}`);
    expect(page.status).toBe(200);
    expect(page.html).not.toContain('<script>alert(1)</script>');
    expect(page.html).toContain('&lt;script&gt;');
    expect(page.html).toContain('name="enabled_google_search"');

    const saved = await s.post(`/admin/query-designs/${id}`, {
      name: 'Form design',
      description: '',
      enabled_google_search: 'on',
      tier_google_search: 'premium',
      enabled_wikipedia: 'on',
      tier_wikipedia: 'free',
    });
    expect(saved.status).toBe(303);
    const row = await env.DB.prepare('SELECT arenas_config FROM query_designs WHERE id = ?').bind(id).first<{ arenas_config: string }>();
    expect(JSON.parse(row!.arenas_config)).toEqual({
      arenas: [
        { id: 'google_search', enabled: true, tier: 'premium' },
        { id: 'wikipedia', enabled: true, tier: 'free' },
      ],
    });

    const untick = await s.post(`/admin/query-designs/${id}`, { name: 'Form design', tier_google_search: 'premium', tier_wikipedia: 'free' });
    expect(untick.status).toBe(303);
    const after = await env.DB.prepare('SELECT arenas_config FROM query_designs WHERE id = ?').bind(id).first<{ arenas_config: string }>();
    expect(JSON.parse(after!.arenas_config).arenas.map((a: { enabled: boolean }) => a.enabled)).toEqual([false, false]);

    const invalid = await s.post(`/admin/query-designs/${id}`, { name: 'Form design', enabled_majestic: 'on', tier_majestic: 'free' });
    expect(invalid.status).toBe(422);
    expect(invalid.html).toContain('Not saved: tier_majestic: majestic has no tier free (it has');
    expect(invalid.html).toContain('value="Form design"'); // the form comes back as typed

    const unconfirmed = await s.post(`/admin/query-designs/${id}/delete`, {});
    expect(unconfirmed.status).toBe(422);
    expect(unconfirmed.html).toContain('Not deleted: confirm: tick the confirmation box to delete');

    const del = await s.post(`/admin/query-designs/${id}/delete`, { confirm: 'yes' });
    expect(del.status).toBe(303);
    expect(await env.DB.prepare('SELECT id FROM query_designs WHERE id = ?').bind(id).first()).toBeNull();
  });
});

describe("replaceArenasConfigStatement (the owner's compare-and-set)", () => {
  it('writes only while the stored text is the expected one, so an edit in between is never overwritten', async () => {
    const owner = await createTestUser('researcher');
    const id = (await call(owner, 'POST', '/api/query-designs', { name: 'CAS', arenas_config: searchMedium })).body.id as number;
    const read = async () =>
      (await env.DB.prepare('SELECT arenas_config FROM query_designs WHERE id = ?').bind(id).first<{ arenas_config: string }>())!.arenas_config;
    const expected = await read();
    const off: ArenasConfig = {
      arenas: [
        { id: 'google_search', enabled: false, tier: 'medium' },
        { id: 'gdelt', enabled: true, tier: 'free' },
      ],
    };

    // Someone edits the design after `expected` was read: the write matches nothing.
    const edited = { arenas: [{ id: 'reddit', enabled: true, tier: 'free' }] };
    expect((await call(owner, 'PATCH', `/api/query-designs/${id}`, { arenas_config: edited })).status).toBe(200);
    const stale = await replaceArenasConfigStatement(env.DB, { designId: id, expected, next: off, now: Date.now() }).run();
    expect(stale.meta.changes).toBe(0);
    expect(JSON.parse(await read())).toEqual(edited);

    // Against what is stored now, it writes once; the same write again changes nothing.
    const current = await read();
    const next: ArenasConfig = { arenas: [{ id: 'reddit', enabled: false, tier: 'free' }] };
    expect((await replaceArenasConfigStatement(env.DB, { designId: id, expected: current, next, now: Date.now() }).run()).meta.changes).toBe(1);
    expect((await replaceArenasConfigStatement(env.DB, { designId: id, expected: current, next, now: Date.now() }).run()).meta.changes).toBe(0);
    expect(JSON.parse(await read())).toEqual(next);
  });
});
