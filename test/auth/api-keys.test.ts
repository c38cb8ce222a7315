// Machine API keys: shown once, stored as a hash, scoped, revocable; REST and
// the /admin/api-keys page.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { hashApiKey } from '../../src/auth/api-keys.ts';
import { createTestUser } from '../support/auth.ts';
import { ORIGIN, auditText, browserLogin, captureConsole, openForm, postForm, userWithPassword } from './support.ts';
import { expectLabelledForms } from './html.ts';

type Created = { id: number; name: string; scope: string; key: string; prefix: string; user_id: number | null };

function call(path: string, auth: string, init: { method?: string; json?: unknown } = {}) {
  return SELF.fetch(`${ORIGIN}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
}

async function createKey(adminToken: string, body: Record<string, unknown>): Promise<Created> {
  const res = await call('/api/api-keys', `Bearer ${adminToken}`, { method: 'POST', json: body });
  expect(res.status).toBe(201);
  return (await res.json()) as Created;
}

describe('/api/api-keys', () => {
  it('creates a key shown once (201 {id, name, scope, key}); only its SHA-256 is stored; lists never show it', async () => {
    const admin = await createTestUser('admin');
    const { result: res, output } = await captureConsole(() =>
      call('/api/api-keys', `Bearer ${admin.token}`, { method: 'POST', json: { name: 'reddit collector', scope: 'collector' } }),
    );
    expect(res.status).toBe(201);
    const created = (await res.json()) as Created;
    expect(created).toMatchObject({ name: 'reddit collector', scope: 'collector', user_id: null });
    expect(created.id).toBeTypeOf('number');
    expect(created.key).toMatch(/^av_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    const row = await env.DB.prepare('SELECT * FROM api_keys WHERE id = ?').bind(created.id).first<Record<string, unknown>>();
    expect(row!.key_hash).toBe(hashApiKey(created.key));
    const secretPart = created.key.slice(16);
    expect(JSON.stringify(row)).not.toContain(secretPart);
    const list = await (await call('/api/api-keys', `Bearer ${admin.token}`)).text();
    expect(JSON.parse(list).api_keys.find((k: { id: number }) => k.id === created.id)).toMatchObject({
      name: 'reddit collector',
      scope: 'collector',
      revoked_at: null,
    });
    for (const place of [list, output, await auditText()]) {
      expect(place).not.toContain(secretPart);
      expect(place).not.toContain(row!.key_hash as string);
    }
    expect(await env.DB.prepare("SELECT actor FROM audit_events WHERE action = 'api_key.create' AND detail LIKE '%reddit collector%'").first()).toEqual({
      actor: `user:${admin.id}`,
    });
  });

  it('authenticates with `Authorization: ApiKey`; scope decides what it may do', async () => {
    const admin = await createTestUser('admin');
    const collector = await createKey(admin.token, { name: 'c', scope: 'collector' });
    const adminKey = await createKey(admin.token, { name: 'ops', scope: 'admin' });
    expect((await call('/api/users', `ApiKey ${adminKey.key}`)).status).toBe(200);
    expect((await call('/api/users', `ApiKey ${collector.key}`)).status).toBe(403);
    expect((await call('/api/api-keys', `ApiKey ${collector.key}`, { method: 'POST', json: { name: 'x', scope: 'admin' } })).status).toBe(403);
    const last = await env.DB.prepare('SELECT last_used_at FROM api_keys WHERE id = ?').bind(adminKey.id).first<{ last_used_at: number | null }>();
    expect(last!.last_used_at).not.toBeNull();
    // Near misses are refused.
    expect((await call('/api/users', `ApiKey ${adminKey.key.slice(0, -1)}${adminKey.key.endsWith('A') ? 'B' : 'A'}`)).status).toBe(401);
    expect((await call('/api/users', `Bearer ${adminKey.key}`)).status).toBe(401);
  });

  it('revoking (DELETE) stops the key at once; DELETE is idempotent; unknown ids are 404', async () => {
    const admin = await createTestUser('admin');
    const k = await createKey(admin.token, { name: 'to revoke', scope: 'admin' });
    expect((await call('/api/users', `ApiKey ${k.key}`)).status).toBe(200);
    expect((await call(`/api/api-keys/${k.id}`, `Bearer ${admin.token}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call('/api/users', `ApiKey ${k.key}`)).status).toBe(401);
    expect((await call(`/api/api-keys/${k.id}`, `Bearer ${admin.token}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call('/api/api-keys/999999', `Bearer ${admin.token}`, { method: 'DELETE' })).status).toBe(404);
    const events = await env.DB.prepare("SELECT count(*) AS n FROM audit_events WHERE action = 'api_key.revoke' AND target = ?")
      .bind(`api_key:${k.prefix.slice(3, -1)}`)
      .first<{ n: number }>();
    expect(events!.n).toBe(1);
  });

  it('a key acting for a user follows that user: demoted owner → no admin routes, deactivated owner → refused', async () => {
    const admin = await createTestUser('admin');
    const researcher = await createTestUser('researcher');
    const bad = await call('/api/api-keys', `Bearer ${admin.token}`, { method: 'POST', json: { name: 'x', scope: 'admin', user_id: researcher.id } });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: { details: { field: string; fields: { field: string }[] } } }).error.details).toMatchObject({
      field: 'scope',
      fields: [{ field: 'scope' }],
    });
    const noUser = await call('/api/api-keys', `Bearer ${admin.token}`, { method: 'POST', json: { name: 'x', scope: 'collector', user_id: 999999 } });
    expect(noUser.status).toBe(422);
    const noUserText = await noUser.text();
    // The one 422 shape (fields listed), and no input value in it.
    expect(JSON.parse(noUserText).error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { field: 'user_id', fields: [{ field: 'user_id', message: 'is not a user' }] },
    });
    expect(noUserText).not.toContain('999999');
    const owned = await createKey(admin.token, { name: 'owned', scope: 'admin', user_id: admin.id });
    expect(owned.user_id).toBe(admin.id);
    const me = await call('/api/auth/me', `ApiKey ${owned.key}`);
    expect(((await me.json()) as { id: number }).id).toBe(admin.id);
    // Its owner demoted: the admin-scope key no longer opens admin routes.
    await env.DB.prepare("UPDATE users SET role = 'researcher' WHERE id = ?").bind(admin.id).run();
    expect((await call('/api/users', `ApiKey ${owned.key}`)).status).toBe(403);
    await env.DB.prepare("UPDATE users SET role = 'admin', is_active = 0 WHERE id = ?").bind(admin.id).run();
    expect((await call('/api/users', `ApiKey ${owned.key}`)).status).toBe(401);
  });

  it("the pool follows the owner too: a demoted admin's admin-scope key leases nothing (the probe's hole)", async () => {
    const admin = await createTestUser('admin');
    const owned = await createKey(admin.token, { name: 'ops', scope: 'admin', user_id: admin.id });
    const acquire = () => call('/api/pool/acquire', `ApiKey ${owned.key}`, { method: 'POST', json: { platform: 'serper', tier: 'medium', task_id: 't' } });
    // Still an admin: the guard lets it through (404: nothing stored to lease).
    expect((await acquire()).status).toBe(404);
    // Demoted through the API (the pool's copy follows admin writes before they answer; a raw D1 write would reach it by its version check).
    const other = await createTestUser('admin');
    expect((await call(`/api/users/${admin.id}`, `Bearer ${other.token}`, { method: 'PATCH', json: { role: 'researcher' } })).status).toBe(200);
    const refused = await acquire();
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
  });

  it('takes an optional expires_at; an expired key is refused exactly as a revoked one', async () => {
    const admin = await createTestUser('admin');
    const soon = new Date(Date.now() + 3_600_000).toISOString();
    const k = await createKey(admin.token, { name: 'short-lived', scope: 'admin', expires_at: soon });
    const listed = () =>
      call('/api/api-keys', `Bearer ${admin.token}`).then(
        async (r) => ((await r.json()) as { api_keys: Record<string, unknown>[] }).api_keys.find((x) => x.id === k.id)!,
      );
    expect(await listed()).toMatchObject({
      expires_at: soon,
      status: 'active',
      created_by: admin.id,
      created_by_email: admin.email,
      creator_still_admin: true,
    });
    expect((await call('/api/users', `ApiKey ${k.key}`)).status).toBe(200);
    // Its time comes.
    await env.DB.prepare('UPDATE api_keys SET expires_at = ? WHERE id = ?')
      .bind(Date.now() - 1, k.id)
      .run();
    const expired = await call('/api/users', `ApiKey ${k.key}`);
    expect(await listed()).toMatchObject({ status: 'expired', revoked_at: null });
    const other = await createKey(admin.token, { name: 'revoked', scope: 'admin' });
    await call(`/api/api-keys/${other.id}`, `Bearer ${admin.token}`, { method: 'DELETE' });
    const revoked = await call('/api/users', `ApiKey ${other.key}`);
    expect(expired.status).toBe(401);
    // The same body but for each request's own id (error.request_id).
    const withoutId = async (r: Response) => (await r.text()).replace(/"request_id":"[^"]+"/, '');
    expect(await withoutId(expired)).toBe(await withoutId(revoked));
    // The pool refuses it the same way.
    expect((await call('/api/pool/acquire', `ApiKey ${k.key}`, { method: 'POST', json: { platform: 'serper', tier: 'medium', task_id: 't' } })).status).toBe(
      401,
    );
    // A past expiry is refused at creation.
    const past = await call('/api/api-keys', `Bearer ${admin.token}`, { method: 'POST', json: { name: 'x', scope: 'collector', expires_at: '2001-01-01' } });
    expect(past.status).toBe(422);
    expect(((await past.json()) as { error: { details: { field: string } } }).error.details.field).toBe('expires_at');
  });

  it('shows who created each key, and flags a service key whose creator is no longer an admin', async () => {
    const creator = await createTestUser('admin');
    const other = await createTestUser('admin');
    const service = await createKey(creator.token, { name: 'service made by a soon-demoted admin', scope: 'admin' });
    await env.DB.prepare("UPDATE users SET role = 'researcher' WHERE id = ?").bind(creator.id).run();
    // A service key acts for no user, so it keeps working: the list is where an admin sees it needs review.
    expect((await call('/api/users', `ApiKey ${service.key}`)).status).toBe(200);
    const body = (await (await call('/api/api-keys', `Bearer ${other.token}`)).json()) as { api_keys: Record<string, unknown>[] };
    expect(body.api_keys.find((x) => x.id === service.id)).toMatchObject({
      user_id: null,
      created_by: creator.id,
      created_by_email: creator.email,
      creator_still_admin: false,
    });
    const page = await (await SELF.fetch(`${ORIGIN}/admin/api-keys`, { headers: { authorization: `Bearer ${other.token}` } })).text();
    const row = page.split('<tr>').find((r) => r.includes('service made by a soon-demoted admin'))!;
    expect(row).toContain(`by ${creator.email}`);
    expect(row).toContain('creator no longer an admin');
    expect(row).toContain('never');
  });

  it('is admin-only; input is validated', async () => {
    const admin = await createTestUser('admin');
    const r = await createTestUser('researcher');
    expect((await call('/api/api-keys', `Bearer ${r.token}`)).status).toBe(403);
    expect((await call('/api/api-keys', `Bearer ${r.token}`, { method: 'POST', json: { name: 'x', scope: 'collector' } })).status).toBe(403);
    expect((await call('/api/api-keys', `Bearer ${admin.token}`, { method: 'POST', json: { name: '', scope: 'collector' } })).status).toBe(422);
    expect((await call('/api/api-keys', `Bearer ${admin.token}`, { method: 'POST', json: { name: 'x', scope: 'superuser' } })).status).toBe(422);
  });
});

describe('/admin/api-keys page', () => {
  it('creates a key and shows it exactly once; the list escapes names; revoke works from a form', async () => {
    const admin = await userWithPassword('admin');
    const cookie = await browserLogin(admin, '100.64.2.1');
    const page = await SELF.fetch(`${ORIGIN}/admin/api-keys`, { headers: { cookie } });
    expect(page.status).toBe(200);
    expectLabelledForms(await page.text());
    const form = await openForm('/admin/api-keys', cookie);
    const hostile = '<script>alert("k")</script>';
    const created = await postForm('/admin/api-keys', form, { name: hostile, scope: 'collector', user_id: '' });
    expect(created.status).toBe(201);
    const html = await created.text();
    const key = /value="(av_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43})"/.exec(html)?.[1];
    expect(key).toBeTruthy();
    expect(html).toContain('shown only this once');
    expect(html).not.toContain(hostile);
    expect(html).toContain('&lt;script&gt;alert(&quot;k&quot;)&lt;/script&gt;');
    expect(created.headers.getSetCookie().join('\n')).not.toContain(key!);
    // Gone on the next view.
    const later = await (await SELF.fetch(`${ORIGIN}/admin/api-keys`, { headers: { cookie } })).text();
    expect(later).not.toContain(key!);
    expect(later).not.toContain(hostile);
    // The key authenticates (403: a collector key may not use /me; an unknown key would be 401).
    expect((await call('/api/auth/me', `ApiKey ${key}`)).status).toBe(403);
    const id = (await env.DB.prepare('SELECT id FROM api_keys WHERE key_hash = ?').bind(hashApiKey(key!)).first<{ id: number }>())!.id;
    const revoked = await postForm(`/admin/api-keys/${id}/revoke`, form, {});
    expect(revoked.status).toBe(303);
    expect(await env.DB.prepare('SELECT revoked_at IS NOT NULL AS r FROM api_keys WHERE id = ?').bind(id).first()).toEqual({ r: 1 });
    expect(await auditText()).not.toContain(key!.slice(16));
  });

  it("the store's refusal (an admin-scope key for a researcher) shows the form again, filled in, not the error page", async () => {
    const admin = await userWithPassword('admin');
    const researcher = await createTestUser('researcher');
    const cookie = await browserLogin(admin, '100.64.2.2');
    const form = await openForm('/admin/api-keys', cookie);
    const res = await postForm('/admin/api-keys', form, { name: 'for a researcher', scope: 'admin', user_id: String(researcher.id) });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('An admin-scope key must belong to an admin or to no user (a service).');
    expect(html).toMatch(/name="name"[^>]*value="for a researcher"|value="for a researcher"[^>]*name="name"/);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM api_keys WHERE name = 'for a researcher'").first()).toEqual({ n: 0 });
  });
});
