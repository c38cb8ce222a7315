/**
 * Issue 21: POST /api/pool/update-fields, a lease holder replacing the
 * credential's secret fields (an OAuth refresh): validated by the registry,
 * re-encrypted, in the pool's copy before the answer, audited with field
 * names only, shown on the credential's pages; an ended lease is refused.
 */
import { env, SELF } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiKeyPrefix } from '../../src/auth/api-keys.ts';
import { Fernet } from '../../src/crypto/fernet.ts';
import { createTestUser } from '../support/auth.ts';
import { TEST_CREDENTIAL_KEY } from '../support/keys.ts';
import { post, resetPool, seedCredential } from '../pool/support.ts';
import { apiKeyHeaders, pageSession, rawRow } from './support.ts';

const OLD = 'CANARY-old-token-0a1b2c3d4e';
const NEW = 'CANARY-new-token-9z8y7x6w5v';
let collector: Record<string, string>;

beforeEach(async () => {
  await env.DB.prepare('DELETE FROM api_credentials').run();
  await resetPool();
  collector = await apiKeyHeaders('collector');
});

/** The key's never-reused identity in actors and `fields_updated_by`: its public prefix (auth/api-keys.ts apiKeyActor). */
function keyPrefixOf(headers: Record<string, string>): string {
  return apiKeyPrefix(headers.authorization!.replace(/^ApiKey /, ''))!;
}

async function acquire(headers = collector) {
  const r = await post('/api/pool/acquire', headers, { platform: 'serper', tier: 'medium', task_id: 'refresh' });
  expect(r.status).toBe(200);
  return (await r.json()) as { lease_id: string; credential_id: number; fields: Record<string, string> };
}

async function update(body: unknown, headers = collector) {
  const res = await post('/api/pool/update-fields', headers, body);
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as any };
}

describe('POST /api/pool/update-fields', () => {
  it('re-encrypts the new fields, has them in the pool before it answers, and audits field names only', async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: OLD } });
    const lease = await acquire();
    const before = Date.now();
    const r = await update({ lease_id: lease.lease_id, fields: { api_key: `  ${NEW}\n` } });
    expect(r.status).toBe(200);
    expect(r.body.lease_id).toBe(lease.lease_id);
    expect(r.body.credential_id).toBe(id);
    expect(Date.parse(r.body.updated_at)).toBeGreaterThanOrEqual(before);
    expect(r.text).not.toContain('CANARY');

    // D1 holds a Fernet token of the new (trimmed) fields under the current key, never the plaintext.
    const row = (await rawRow(id))!;
    expect(JSON.stringify(row)).not.toContain(NEW);
    const fernet = await Fernet.fromKey(TEST_CREDENTIAL_KEY);
    expect(row.key_id).toBe(fernet.keyId);
    expect(JSON.parse(new TextDecoder().decode(await fernet.decrypt(row.encrypted_value)))).toEqual({ api_key: NEW });
    const actor = `api_key:${keyPrefixOf(collector)}`;
    expect(row.fields_updated_by).toBe(actor);
    expect(row.fields_updated_at).toBe(Date.parse(r.body.updated_at));

    // The very next acquire (no sync in between) leases the new fields.
    await post('/api/pool/release', collector, { lease_id: lease.lease_id });
    expect((await acquire()).fields).toEqual({ api_key: NEW });

    const events = await env.DB.prepare("SELECT actor, detail FROM audit_events WHERE action = 'credential.update_fields' AND target = ?")
      .bind(`credential:${id}`)
      .all<{ actor: string; detail: string }>();
    expect(events.results).toHaveLength(1);
    expect(events.results[0]!.actor).toBe(actor);
    expect(JSON.parse(events.results[0]!.detail)).toMatchObject({ field_names: ['api_key'], platform: 'serper', tier: 'medium' });
    const all = await env.DB.prepare('SELECT * FROM audit_events').all();
    expect(JSON.stringify(all.results)).not.toContain('CANARY');
  });

  it('validates with the registry: a wrong field set is 422 and changes nothing', async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: OLD } });
    const lease = await acquire();
    const before = (await rawRow(id))!;
    for (const fields of [{ api_key: '' }, { api_key: NEW, extra: 'x' }, {}, { token: NEW }]) {
      const r = await update({ lease_id: lease.lease_id, fields });
      expect(r.status).toBe(422);
      expect(r.body.error.details.field).toMatch(/^fields/);
      expect(r.text).not.toContain('CANARY');
    }
    expect(await rawRow(id)).toEqual(before);
    const none = await env.DB.prepare("SELECT count(*) AS n FROM audit_events WHERE action = 'credential.update_fields' AND target = ?")
      .bind(`credential:${id}`)
      .first<{ n: number }>();
    expect(none!.n).toBe(0);
  });

  it("refuses a lease that ended or is another key's with 410 LEASE_EXPIRED", async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: OLD } });
    const lease = await acquire();
    const other = await apiKeyHeaders('collector');
    const foreign = await update({ lease_id: lease.lease_id, fields: { api_key: NEW } }, other);
    expect(foreign.status).toBe(410);
    expect(foreign.body.error.code).toBe('LEASE_EXPIRED');
    await post('/api/pool/release', collector, { lease_id: lease.lease_id });
    const ended = await update({ lease_id: lease.lease_id, fields: { api_key: NEW } });
    expect(ended.status).toBe(410);
    expect(ended.body.error.code).toBe('LEASE_EXPIRED');
    expect((await rawRow(id))!.fields_updated_at).toBeNull();
    expect((await acquire()).fields).toEqual({ api_key: OLD });
  });

  it('is shown on the credential pages and in the admin API: updated by collector key <prefix> at T', async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: OLD }, name: 'refreshed one' });
    const lease = await acquire();
    const r = await update({ lease_id: lease.lease_id, fields: { api_key: NEW } });
    const prefix = keyPrefixOf(collector);
    const admin = await createTestUser('admin');
    const view = await SELF.fetch(`https://vault.test/api/credentials/${id}`, { headers: admin.headers });
    const body = (await view.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ fields_updated_by: `api_key:${prefix}`, fields_updated_at: r.body.updated_at, sharing: 'allowed', expires_at: null });
    const page = await pageSession(admin);
    const shown = `Fields updated by collector key ${prefix} at ${(r.body.updated_at as string).slice(0, 16).replace('T', ' ')} UTC`;
    const list = await page.get('/admin/credentials?platform=serper');
    expect(list.html).toContain(shown);
    expect(list.html).not.toContain('CANARY');
    const edit = await page.get(`/admin/credentials/${id}/edit`);
    expect(edit.html).toContain(shown);
  });
});

describe('token expiry in the admin API and forms', () => {
  it('is set on create and by PATCH, shown to collectors, and cleared with an empty form input', async () => {
    const admin = await createTestUser('admin');
    const created = await SELF.fetch('https://vault.test/api/credentials', {
      method: 'POST',
      headers: admin.headers,
      body: JSON.stringify({
        platform: 'serper',
        tier: 'medium',
        credential_name: 'expiring',
        fields: { api_key: OLD },
        expires_at: '2027-05-01T00:00:00Z',
        sharing: 'never',
      }),
    });
    expect(created.status).toBe(201);
    const v = (await created.json()) as { id: number; expires_at: string; sharing: string };
    expect([v.expires_at, v.sharing]).toEqual(['2027-05-01T00:00:00.000Z', 'never']);
    const meta = await SELF.fetch(`https://vault.test/api/pool/credentials/${v.id}`, { headers: collector });
    expect(((await meta.json()) as { expires_at: string }).expires_at).toBe('2027-05-01T00:00:00.000Z');

    const page = await pageSession(admin);
    const edit = await page.get(`/admin/credentials/${v.id}/edit`);
    expect(edit.html).toContain('value="2027-05-01T00:00:00.000Z"');
    expect(edit.html).toMatch(/<option value="never" selected="">/);
    const saved = await page.post(`/admin/credentials/${v.id}/edit`, {
      credential_name: 'expiring',
      daily_quota: '',
      monthly_quota: '',
      notes: '',
      max_leases: '1',
      sharing: 'allowed',
      expires_at: '',
    });
    expect(saved.status).toBe(303);
    const after = (await rawRow(v.id))!;
    expect([after.expires_at, after.sharing]).toEqual([null, 'allowed']);
    const refused = await page.post(`/admin/credentials/${v.id}/edit`, {
      credential_name: 'expiring',
      max_leases: '1',
      sharing: 'sometimes',
      expires_at: 'soon',
    });
    expect(refused.status).toBe(422);
    expect(refused.html).toContain('id="expires_at_problem"');
    expect(refused.html).toContain('id="sharing_problem"');
  });
});
