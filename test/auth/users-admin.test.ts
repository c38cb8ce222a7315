// Users admin: /api/users (admin only) and the /admin/users page; audit
// events; sessions ending on role/activation changes; the last-admin guard.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/client.ts';
import { auditStatement } from '../../src/audit/audit.ts';
import { users } from '../../src/db/schema.ts';
import { eq } from 'drizzle-orm';
import { createTestUser } from '../support/auth.ts';
import { ORIGIN, auditText, browserLogin, captureConsole, openForm, postForm, userWithPassword } from './support.ts';
import { expectLabelledForms } from './html.ts';

function api(path: string, token: string, init: { method?: string; json?: unknown } = {}) {
  return SELF.fetch(`${ORIGIN}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
  });
}

let ipSeq = 0;
async function login(email: string, password: string) {
  return SELF.fetch(`${ORIGIN}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': `100.64.0.${++ipSeq}` },
    body: JSON.stringify({ email, password }),
  });
}

describe('/api/users', () => {
  it('admins create users (temporary password) who can then log in; nothing echoes the password', async () => {
    const admin = await createTestUser('admin');
    const password = `canary-temp-${crypto.randomUUID()}`;
    const { result: res, output } = await captureConsole(() =>
      api('/api/users', admin.token, {
        method: 'POST',
        json: { email: '  New.Person@Example.TEST ', password, display_name: 'New Person', role: 'researcher' },
      }),
    );
    expect(res.status).toBe(201);
    const text = await res.text();
    const created = JSON.parse(text);
    expect(created).toMatchObject({ email: 'new.person@example.test', display_name: 'New Person', role: 'researcher', is_active: true, last_login_at: null });
    expect(text).not.toMatch(/hash|scrypt/i);
    expect((await login('new.person@example.test', password)).status).toBe(200);
    const list = await (await api('/api/users', admin.token)).text();
    expect(JSON.parse(list).users.some((u: { id: number }) => u.id === created.id)).toBe(true);
    expect(list).not.toMatch(/hashed_password|scrypt\$/);
    const audit = await env.DB.prepare(
      "SELECT actor, detail FROM audit_events WHERE action = 'user.create' AND target = 'email:new.person@example.test'",
    ).first();
    expect(audit).toEqual({ actor: `user:${admin.id}`, detail: '{"role":"researcher"}' });
    for (const place of [text, list, output, await auditText()]) expect(place).not.toContain(password);
  });

  it('refuses duplicates (409, case-insensitive), bad input (422) and unknown ids (404)', async () => {
    const admin = await createTestUser('admin');
    const body = { email: 'dup@example.test', password: 'long enough password' };
    expect((await api('/api/users', admin.token, { method: 'POST', json: body })).status).toBe(201);
    expect((await api('/api/users', admin.token, { method: 'POST', json: { ...body, email: 'DUP@example.test' } })).status).toBe(409);
    expect((await api('/api/users', admin.token, { method: 'POST', json: { ...body, email: 'x@example.test', password: 'short' } })).status).toBe(422);
    expect((await api('/api/users', admin.token, { method: 'POST', json: { ...body, email: 'y@example.test', role: 'owner' } })).status).toBe(422);
    expect((await api('/api/users/999999', admin.token)).status).toBe(404);
    expect((await api('/api/users/abc', admin.token)).status).toBe(404);
    expect((await api('/api/users/1', admin.token, { method: 'PATCH', json: { hashed_password: 'x' } })).status).toBe(422);
  });

  it('changing role or deactivating ends the user’s sessions; both are audited', async () => {
    const admin = await createTestUser('admin');
    const target = await createTestUser('researcher');
    const promote = await api(`/api/users/${target.id}`, admin.token, { method: 'PATCH', json: { role: 'admin' } });
    expect(promote.status).toBe(200);
    expect(await promote.json()).toMatchObject({ role: 'admin', token_version: 1 });
    expect((await api('/api/auth/me', target.token)).status).toBe(401);
    const deactivate = await api(`/api/users/${target.id}`, admin.token, { method: 'PATCH', json: { is_active: false } });
    expect(await deactivate.json()).toMatchObject({ is_active: false, token_version: 2 });
    const { results } = await env.DB.prepare("SELECT detail FROM audit_events WHERE action = 'user.update' AND target = ? ORDER BY id")
      .bind(`user:${target.id}`)
      .all<{ detail: string }>();
    expect(results.map((r) => JSON.parse(r.detail))).toEqual([
      { role: { from: 'researcher', to: 'admin' }, sessions_revoked: true },
      { is_active: false, sessions_revoked: true },
    ]);
  });

  it('revoke-sessions and a new temporary password both end existing sessions', async () => {
    const admin = await createTestUser('admin');
    const u = await userWithPassword('researcher');
    const token = ((await (await login(u.email, u.password)).json()) as { access_token: string }).access_token;
    expect((await api(`/api/users/${u.id}/revoke-sessions`, admin.token, { method: 'POST' })).status).toBe(200);
    expect((await api('/api/auth/me', token)).status).toBe(401);
    const token2 = ((await (await login(u.email, u.password)).json()) as { access_token: string }).access_token;
    const temp = `canary-reset-${crypto.randomUUID()}`;
    expect((await api(`/api/users/${u.id}/password`, admin.token, { method: 'POST', json: { password: 'short' } })).status).toBe(422);
    expect((await api(`/api/users/${u.id}/password`, admin.token, { method: 'POST', json: { password: temp } })).status).toBe(200);
    expect((await api('/api/auth/me', token2)).status).toBe(401);
    expect((await login(u.email, temp)).status).toBe(200);
    expect(await auditText()).not.toContain(temp);
  });

  it('only admins: researchers and collector keys get 403, anonymous 401', async () => {
    const r = await createTestUser('researcher');
    for (const [method, path] of [
      ['GET', '/api/users'],
      ['POST', '/api/users'],
      ['GET', `/api/users/${r.id}`],
      ['PATCH', `/api/users/${r.id}`],
      ['POST', `/api/users/${r.id}/revoke-sessions`],
    ]) {
      expect((await api(path!, r.token, { method, json: method === 'GET' ? undefined : { role: 'admin' } })).status).toBe(403);
    }
    expect((await SELF.fetch(`${ORIGIN}/api/users`)).status).toBe(401);
    expect(await env.DB.prepare('SELECT role FROM users WHERE id = ?').bind(r.id).first()).toEqual({ role: 'researcher' });
  });
});

describe('the vault never loses its last active admin', () => {
  it('the API refuses to demote or deactivate the last active admin (409)', async () => {
    const last = await createTestUser('admin');
    await env.DB.prepare("UPDATE users SET is_active = 0 WHERE role = 'admin' AND id <> ?").bind(last.id).run();
    const demote = await api(`/api/users/${last.id}`, last.token, { method: 'PATCH', json: { role: 'researcher' } });
    expect(demote.status).toBe(409);
    expect(((await demote.json()) as { error: { message: string } }).error.message).toMatch(/last active admin/);
    expect((await api(`/api/users/${last.id}`, last.token, { method: 'PATCH', json: { is_active: false } })).status).toBe(409);
    expect((await api(`/api/users/${last.id}`, last.token, { method: 'PATCH', json: { display_name: 'Still here' } })).status).toBe(200);
  });

  it('the database trigger backs it up: a racing demotion aborts its whole batch, audit event included', async () => {
    const last = await createTestUser('admin');
    await env.DB.prepare("UPDATE users SET is_active = 0 WHERE role = 'admin' AND id <> ?").bind(last.id).run();
    const db = openDb(env.DB);
    await expect(
      db.batch([
        auditStatement(db, { actor: 'test', action: 'test.race', target: `user:${last.id}` }),
        db.update(users).set({ role: 'researcher' }).where(eq(users.id, last.id)),
      ]),
    ).rejects.toThrow();
    expect(await env.DB.prepare("SELECT 1 FROM audit_events WHERE action = 'test.race'").first()).toBeNull();
    expect(await env.DB.prepare('SELECT role, is_active FROM users WHERE id = ?').bind(last.id).first()).toEqual({ role: 'admin', is_active: 1 });
    // With a second active admin the same change goes through.
    await createTestUser('admin');
    await db.update(users).set({ role: 'researcher' }).where(eq(users.id, last.id));
    expect(await env.DB.prepare('SELECT role FROM users WHERE id = ?').bind(last.id).first()).toEqual({ role: 'researcher' });
  });
});

describe('/admin/users page', () => {
  it('lists users with their data escaped; every input is labelled; forms carry CSRF tokens', async () => {
    const admin = await userWithPassword('admin');
    const hostile = '<img src=x onerror=alert(1)>"\'&';
    const api1 = await createTestUser('admin');
    await api('/api/users', api1.token, { method: 'POST', json: { email: 'hostile@example.test', password: 'long enough password', display_name: hostile } });
    const cookie = await browserLogin(admin, '100.64.1.1');
    const res = await SELF.fetch(`${ORIGIN}/admin/users`, { headers: { cookie } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;');
    expectLabelledForms(html);
    expect(html).toMatch(/name="password" type="password" autocomplete="new-password"/);
    expect(html).not.toMatch(/scrypt\$/);
  });

  it('create, change role, deactivate, activate, revoke sessions, set password: each via a plain form, with flash messages', async () => {
    const admin = await userWithPassword('admin');
    const cookie = await browserLogin(admin, '100.64.1.2');
    const form = await openForm('/admin/users', cookie);
    const temp = `canary-form-${crypto.randomUUID()}`;
    const created = await postForm('/admin/users', form, { email: 'formuser@example.test', display_name: 'Form User', role: 'researcher', password: temp });
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe('/admin/users');
    const row = await env.DB.prepare("SELECT id, role, is_active, token_version FROM users WHERE email = 'formuser@example.test'").first<{ id: number }>();
    expect(row).toMatchObject({ role: 'researcher', is_active: 1, token_version: 0 });
    const id = row!.id;
    const flashCookie = created.headers
      .getSetCookie()
      .find((c) => c.startsWith('__Host-av_flash='))!
      .split(';')[0]!;
    const after = await (await SELF.fetch(`${ORIGIN}/admin/users`, { headers: { cookie: `${cookie}; ${flashCookie}` } })).text();
    expect(after).toContain('Created formuser@example.test (researcher).');
    expect(after).not.toContain(temp);

    expect((await postForm(`/admin/users/${id}/role`, form, { role: 'admin' })).status).toBe(303);
    expect((await postForm(`/admin/users/${id}/active`, form, { is_active: 'false' })).status).toBe(303);
    expect(await env.DB.prepare('SELECT role, is_active, token_version FROM users WHERE id = ?').bind(id).first()).toEqual({
      role: 'admin',
      is_active: 0,
      token_version: 2,
    });
    expect((await postForm(`/admin/users/${id}/active`, form, { is_active: 'true' })).status).toBe(303);
    expect((await postForm(`/admin/users/${id}/revoke-sessions`, form, {})).status).toBe(303);
    const temp2 = `canary-form2-${crypto.randomUUID()}`;
    expect((await postForm(`/admin/users/${id}/password`, form, { password: temp2 })).status).toBe(303);
    expect(await env.DB.prepare('SELECT is_active, token_version FROM users WHERE id = ?').bind(id).first()).toEqual({ is_active: 1, token_version: 5 });
    expect((await login('formuser@example.test', temp2)).status).toBe(200);
    const actions = await env.DB.prepare('SELECT action FROM audit_events WHERE target = ? ORDER BY id').bind(`user:${id}`).all<{ action: string }>();
    expect(actions.results.map((r) => r.action)).toEqual([
      'user.update',
      'user.update',
      'user.update',
      'user.revoke_sessions',
      'user.set_password',
      'auth.login',
    ]);
    const all = await auditText();
    expect(all).not.toContain(temp);
    expect(all).not.toContain(temp2);
  });

  it('a refused create re-shows the form with the error and the typed values, never the password', async () => {
    const admin = await userWithPassword('admin');
    const cookie = await browserLogin(admin, '100.64.1.3');
    const form = await openForm('/admin/users', cookie);
    const res = await postForm('/admin/users', form, { email: 'tooshort@example.test', display_name: 'Kept <b>', role: 'admin', password: 'canary-sh' });
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain('at least 12 characters');
    expect(html).toContain('value="tooshort@example.test"');
    expect(html).toContain('value="Kept &lt;b&gt;"');
    expect(html).not.toContain('canary-sh');
  });
});
