// The credential REST API through the real Worker: every route, every error
// path, encryption under the current key, and the audit event written with
// each change.
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { Fernet } from '../../src/crypto/fernet.ts';
import { utf8 } from '../../src/crypto/encoding.ts';
import { api, createTestUser, type TestUser } from '../support/auth.ts';
import { TEST_CREDENTIAL_KEY, TEST_CREDENTIAL_KEY_2 } from '../support/keys.ts';
import { SERPER_KEY, apiKeyHeaders, auditFor, call, createCredential, insertRawCredential, rawRow, redditBody, sealWith, serperBody } from './support.ts';

let admin: TestUser;
let current: Fernet;

beforeAll(async () => {
  admin = await createTestUser('admin');
  current = await Fernet.fromKey(TEST_CREDENTIAL_KEY);
});

describe('POST /api/credentials', () => {
  it('encrypts the fields under the current key, returns the masked record and audits', async () => {
    const r = await call(admin, 'POST', '/api/credentials', { ...serperBody('Create test'), daily_quota: 100, notes: 'team key' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      platform: 'serper',
      tier: 'medium',
      credential_name: 'Create test',
      is_active: true,
      daily_quota: 100,
      monthly_quota: null,
      max_leases: 1,
      notes: 'team key',
      error_count: 0,
      key_id: current.keyId,
      key_status: 'current',
      created_by: admin.id,
      fields: { api_key: { secret: true, set: true, length_class: 'medium', last4: 'KEY9' } },
    });
    expect(r.text).not.toContain(SERPER_KEY);
    const row = await rawRow(r.body.id);
    expect(row!.key_id).toBe(current.keyId);
    expect(JSON.parse(utf8.decode(await current.decrypt(row!.encrypted_value)))).toEqual({ api_key: SERPER_KEY });
    const [event] = await auditFor(`credential:${r.body.id}`);
    expect(event).toMatchObject({ actor: `user:${admin.id}`, action: 'credential.create' });
    expect(JSON.parse(event!.detail)).toEqual({
      platform: 'serper',
      tier: 'medium',
      credential_name: 'Create test',
      field_names: ['api_key'],
      key_id: current.keyId,
    });
  });

  it('shows non-secret fields such as Reddit user_agent', async () => {
    const v = await createCredential(admin, redditBody());
    expect(v.fields).toEqual({
      client_id: { label: 'Client id', secret: false, set: true, value: 'reddit-client-id' },
      client_secret: { label: 'Client secret', secret: true, set: true, length_class: 'medium' },
      user_agent: { label: 'User agent', secret: false, set: true, value: 'arena-research/1.0 by u/vault' },
    });
  });

  it('answers 422 for a wrong platform, tier or fields, naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ ...serperBody(), platform: 'myspace' }, 'platform'],
      [{ ...serperBody(), tier: 'free' }, 'tier'],
      [{ ...serperBody(), tier: 'diamond' }, 'tier'],
      [{ ...serperBody(), fields: {} }, 'fields.api_key'],
      [{ ...serperBody(), fields: { api_key: SERPER_KEY, extra: 'x' } }, 'fields.extra'],
      [{ ...serperBody(), fields: { api_key: 42 } }, 'fields.api_key'],
      [{ ...serperBody(), fields: 'nope' }, 'fields'],
      [{ ...serperBody(), credential_name: '' }, 'credential_name'],
      [{ ...serperBody(), daily_quota: -1 }, 'daily_quota'],
      [{ ...serperBody(), is_active: false }, 'is_active'],
    ];
    for (const [body, field] of cases) {
      const r = await call(admin, 'POST', '/api/credentials', body);
      expect(r.status, field).toBe(422);
      expect(r.body.error.code).toBe('VALIDATION_FAILED');
      expect(r.body.error.details.field, JSON.stringify(body)).toBe(field);
    }
  });

  it('answers 400 for malformed or non-object JSON', async () => {
    for (const raw of ['{"platform":', '[1,2]', 'null', '']) {
      const r = await api('/api/credentials', { method: 'POST', headers: admin.headers, body: raw });
      expect(r.status, raw).toBe(400);
      expect(((await r.json()) as any).error.code).toBe('INVALID_JSON');
    }
  });
});

describe('authentication and roles', () => {
  it('401 without credentials, 403 for researchers and collector keys, 200 for admin API keys', async () => {
    const researcher = await createTestUser('researcher');
    const routes: [string, string][] = [
      ['GET', '/api/credentials'],
      ['POST', '/api/credentials'],
      ['GET', '/api/credentials/1'],
      ['PATCH', '/api/credentials/1'],
      ['PUT', '/api/credentials/1/secret'],
      ['POST', '/api/credentials/1/activate'],
      ['POST', '/api/credentials/1/deactivate'],
      ['POST', '/api/credentials/1/reset-errors'],
      ['POST', '/api/credentials/1/verify'],
      ['DELETE', '/api/credentials/1'],
    ];
    const collector = await apiKeyHeaders('collector');
    for (const [method, path] of routes) {
      const body = method === 'GET' ? undefined : {};
      expect((await call(null, method, path, body)).status, `${method} ${path}`).toBe(401);
      expect((await call(researcher, method, path, body)).status, `${method} ${path}`).toBe(403);
      expect((await api(path, { method, headers: collector, json: body })).status, `${method} ${path}`).toBe(403);
    }
    const adminKey = await apiKeyHeaders('admin');
    const created = await api('/api/credentials', { method: 'POST', headers: adminKey, json: serperBody('via api key') });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as any).id;
    expect((await auditFor(`credential:${id}`))[0]!.actor).toMatch(/^api_key:[A-Za-z0-9]{12}$/);
  });
});

describe('GET /api/credentials', () => {
  it('filters by platform, tier and active and pages with limit/offset', async () => {
    const user = await createTestUser('admin');
    // Use a platform no other test writes, so totals are exact.
    const gab = (n: number) => ({ platform: 'gab', tier: 'free', credential_name: `gab ${n}`, fields: { access_token: `gab-token-${n}-0123456789` } });
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createCredential(user, gab(i))).id);
    await call(user, 'POST', `/api/credentials/${ids[4]}/deactivate`);
    const all = await call(user, 'GET', '/api/credentials?platform=gab');
    expect(all.body.total).toBe(5);
    expect(all.body.credentials.map((c: any) => c.credential_name)).toEqual(['gab 0', 'gab 1', 'gab 2', 'gab 3', 'gab 4']);
    const active = await call(user, 'GET', '/api/credentials?platform=gab&active=true');
    expect(active.body.total).toBe(4);
    const inactive = await call(user, 'GET', '/api/credentials?platform=gab&active=false');
    expect(inactive.body.credentials.map((c: any) => c.id)).toEqual([ids[4]]);
    expect((await call(user, 'GET', '/api/credentials?platform=gab&tier=premium')).body.total).toBe(0);
    const p1 = await call(user, 'GET', '/api/credentials?platform=gab&limit=2');
    expect(p1.body).toMatchObject({ total: 5, limit: 2, offset: 0, next_offset: 2 });
    const p3 = await call(user, 'GET', '/api/credentials?platform=gab&limit=2&offset=4');
    expect(p3.body).toMatchObject({ total: 5, offset: 4, next_offset: null });
    expect(p3.body.credentials.map((c: any) => c.credential_name)).toEqual(['gab 4']);
  });

  it('answers 422 for unknown filters values', async () => {
    for (const q of ['platform=myspace', 'tier=gold', 'active=perhaps', 'limit=1000', 'offset=x']) {
      const r = await call(admin, 'GET', `/api/credentials?${q}`);
      expect(r.status, q).toBe(422);
    }
  });
});

describe('single-credential routes', () => {
  it('GET /:id returns the masked record; unknown or impossible ids are 404', async () => {
    const v = await createCredential(admin, serperBody('get me'));
    const r = await call(admin, 'GET', `/api/credentials/${v.id}`);
    expect(r.status).toBe(200);
    expect(r.body.credential_name).toBe('get me');
    for (const path of ['/api/credentials/999999', '/api/credentials/abc', '/api/credentials/0']) {
      const miss = await call(admin, 'GET', path);
      expect(miss.status, path).toBe(404);
      expect(miss.body.error.code).toBe('NOT_FOUND');
    }
  });

  it('PATCH changes name, quotas and notes and audits from/to (not the notes text)', async () => {
    const v = await createCredential(admin, serperBody('before'));
    const r = await call(admin, 'PATCH', `/api/credentials/${v.id}`, { credential_name: 'after', monthly_quota: 5000, notes: 'private remark', max_leases: 3 });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ credential_name: 'after', monthly_quota: 5000, notes: 'private remark', max_leases: 3 });
    expect((await rawRow(v.id))!.max_leases).toBe(3);
    const events = await auditFor(`credential:${v.id}`);
    const upd = events.find((e) => e.action === 'credential.update')!;
    expect(JSON.parse(upd.detail).changed).toEqual({
      credential_name: { from: 'before', to: 'after' },
      monthly_quota: { from: null, to: 5000 },
      max_leases: { from: 1, to: 3 },
      notes: { changed: true },
    });
    expect(upd.detail).not.toContain('private remark');
    expect((await call(admin, 'PATCH', `/api/credentials/${v.id}`, { fields: { api_key: SERPER_KEY } })).status).toBe(422);
    expect((await call(admin, 'PATCH', `/api/credentials/${v.id}`, {})).status).toBe(422);
    expect((await call(admin, 'PATCH', '/api/credentials/999999', { notes: 'x' })).status).toBe(404);
    const bad = await api(`/api/credentials/${v.id}`, { method: 'PATCH', headers: admin.headers, body: '{' });
    expect(bad.status).toBe(400);
  });

  it('PUT /:id/secret re-encrypts the new fields under the current key', async () => {
    const v = await createCredential(admin, serperBody('rotate me'));
    const before = await rawRow(v.id);
    const newKey = 'serper-NEW-VALUE-0123456789-ABCD';
    const r = await call(admin, 'PUT', `/api/credentials/${v.id}/secret`, { fields: { api_key: newKey } });
    expect(r.status).toBe(200);
    expect(r.body.fields.api_key.last4).toBe('ABCD');
    expect(r.text).not.toContain(newKey);
    const after = await rawRow(v.id);
    expect(after!.encrypted_value).not.toBe(before!.encrypted_value);
    expect(JSON.parse(utf8.decode(await current.decrypt(after!.encrypted_value)))).toEqual({ api_key: newKey });
    const ev = (await auditFor(`credential:${v.id}`)).find((e) => e.action === 'credential.replace_secret')!;
    expect(JSON.parse(ev.detail)).toMatchObject({ field_names: ['api_key'], key_id: current.keyId });
    const wrong = (await call(admin, 'PUT', `/api/credentials/${v.id}/secret`, { fields: { api_token: newKey } })).body.error;
    expect(wrong.details.fields.map((p: { field: string }) => p.field)).toEqual(['fields.api_key', 'fields.api_token']);
    expect(JSON.stringify(wrong)).not.toContain(newKey);
    expect((await call(admin, 'PUT', `/api/credentials/${v.id}/secret`, { fields: {} })).status).toBe(422);
    expect((await call(admin, 'PUT', '/api/credentials/999999/secret', { fields: { api_key: newKey } })).status).toBe(404);
    const bad = await api(`/api/credentials/${v.id}/secret`, { method: 'PUT', headers: admin.headers, body: 'not json' });
    expect(bad.status).toBe(400);
  });

  it('a secret replacement moves a row off a missing key', async () => {
    const other = await sealWith(TEST_CREDENTIAL_KEY_2, { api_key: SERPER_KEY });
    const id = await insertRawCredential({ token: other.token, keyId: other.keyId });
    expect((await call(admin, 'GET', `/api/credentials/${id}`)).body).toMatchObject({ key_status: 'missing_key', fields: null });
    const r = await call(admin, 'PUT', `/api/credentials/${id}/secret`, { fields: { api_key: SERPER_KEY } });
    expect(r.body).toMatchObject({ key_status: 'current', key_id: current.keyId });
  });

  it('activate, deactivate and reset-errors change the row and audit each', async () => {
    const v = await createCredential(admin, serperBody('toggle'));
    await env.DB.prepare('UPDATE api_credentials SET error_count = 7, last_error_at = ? WHERE id = ?').bind(Date.now(), v.id).run();
    expect((await call(admin, 'POST', `/api/credentials/${v.id}/deactivate`)).body.is_active).toBe(false);
    expect((await call(admin, 'POST', `/api/credentials/${v.id}/activate`)).body.is_active).toBe(true);
    const reset = await call(admin, 'POST', `/api/credentials/${v.id}/reset-errors`);
    expect(reset.body).toMatchObject({ error_count: 0, last_error_at: null });
    const actions = (await auditFor(`credential:${v.id}`)).map((e) => e.action);
    expect(actions).toEqual(['credential.create', 'credential.deactivate', 'credential.activate', 'credential.reset_errors']);
    const resetEvent = (await auditFor(`credential:${v.id}`)).at(-1)!;
    expect(JSON.parse(resetEvent.detail).error_count_was).toBe(7);
    for (const a of ['activate', 'deactivate', 'reset-errors', 'verify']) {
      expect((await call(admin, 'POST', `/api/credentials/999999/${a}`)).status, a).toBe(404);
    }
  });

  it('DELETE removes the row and audits; a second delete is 404', async () => {
    const v = await createCredential(admin, serperBody('delete me'));
    const r = await call(admin, 'DELETE', `/api/credentials/${v.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ id: v.id, deleted: true });
    expect(await rawRow(v.id)).toBeNull();
    expect((await call(admin, 'DELETE', `/api/credentials/${v.id}`)).status).toBe(404);
    expect((await auditFor(`credential:${v.id}`)).map((e) => e.action)).toEqual(['credential.create', 'credential.delete']);
  });
});

describe('POST /api/credentials/:id/verify', () => {
  it('reports ok under the current key', async () => {
    const v = await createCredential(admin, serperBody('verify ok'));
    const r = await call(admin, 'POST', `/api/credentials/${v.id}/verify`);
    expect(r.body).toEqual({ id: v.id, result: 'ok', key_id: current.keyId, key_status: 'current', fields_valid: true });
    expect(r.text).not.toContain(SERPER_KEY);
    const ev = (await auditFor(`credential:${v.id}`)).at(-1)!;
    expect(ev.action).toBe('credential.verify');
    expect(JSON.parse(ev.detail)).toMatchObject({ result: 'ok' });
  });

  it('reports undecryptable for a key missing from the ring and for a tampered token', async () => {
    const other = await sealWith(TEST_CREDENTIAL_KEY_2, { api_key: SERPER_KEY });
    const missing = await insertRawCredential({ token: other.token, keyId: other.keyId });
    expect((await call(admin, 'POST', `/api/credentials/${missing}/verify`)).body).toEqual({
      id: missing,
      result: 'undecryptable',
      key_id: other.keyId,
      key_status: 'missing_key',
      reason: 'key_missing',
    });
    // Right key id, wrong key: the MAC fails.
    const tampered = await insertRawCredential({ token: other.token, keyId: current.keyId });
    expect((await call(admin, 'POST', `/api/credentials/${tampered}/verify`)).body).toMatchObject({
      result: 'undecryptable',
      key_status: 'undecryptable',
      reason: 'token_invalid',
    });
    const list = await call(admin, 'GET', `/api/credentials/${tampered}`);
    expect(list.body).toMatchObject({ key_status: 'undecryptable', fields: null });
  });

  it('flags a payload that no longer matches the registry, by field name only', async () => {
    const sealed = await sealWith(TEST_CREDENTIAL_KEY, { api_key: 'legacy-value-1234567', old_field: 'zzz-legacy-secret' });
    const id = await insertRawCredential({ token: sealed.token, keyId: sealed.keyId });
    const r = await call(admin, 'POST', `/api/credentials/${id}/verify`);
    expect(r.body).toMatchObject({ result: 'ok', fields_valid: false, field_problems: [{ field: 'fields.old_field' }] });
    expect(r.text).not.toContain('zzz-legacy-secret');
  });
});

describe('the OpenAPI document', () => {
  it("shows each registry platform's tiers and fields, with their bounds and patterns, for POST /api/credentials", async () => {
    const { PLATFORMS, PLATFORM_IDS } = await import('../../src/arenas/registry.ts');
    const doc = (await (await api('/api/openapi.json')).json()) as any;
    const options = doc.paths['/api/credentials'].post.requestBody.content['application/json'].schema.oneOf as any[];
    expect(options.map((o) => o.properties.platform.const)).toEqual(PLATFORM_IDS);
    for (const o of options) {
      const p = PLATFORMS[o.properties.platform.const as keyof typeof PLATFORMS];
      expect(o.properties.tier.enum).toEqual(p.tiers);
      expect(o.properties.fields.required).toEqual(p.fields.map((f) => f.name));
      expect(o.properties.fields.additionalProperties).toBe(false);
      for (const f of p.fields) {
        expect(o.properties.fields.properties[f.name], `${p.id}.${f.name}`).toMatchObject({
          type: 'string',
          minLength: f.minLength,
          maxLength: f.maxLength,
          ...(f.pattern ? { pattern: f.pattern.source } : {}),
        });
      }
    }
  });
});
