import { createExecutionContext, env, SELF } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import worker from '../../src/index.ts';
import { CredentialKeyRing } from '../../src/crypto/key-ring.ts';
import { utf8 } from '../../src/crypto/encoding.ts';
import { PURGE_CONFIRMATION } from '../../src/recovery/plan.ts';
import { createTestUser, type TestUser } from '../support/auth.ts';
import { TEST_CREDENTIAL_KEY, TEST_CREDENTIAL_KEY_2 } from '../support/keys.ts';
import { apiKeyHeaders, keyIdOf, post, resetPool, seedCredential } from '../pool/support.ts';
import { pageSession } from '../support/page-session.ts';

const LOST = TEST_CREDENTIAL_KEY_2; // the key the vault no longer has
const CANARY = 'CANARY-recovery-77aa66bb';
let admin: TestUser;
let lostId: string;

beforeEach(async () => {
  for (const t of ['api_credentials', 'query_designs', 'recovery_actions']) await env.DB.prepare(`DELETE FROM ${t}`).run();
  await resetPool();
  admin = await createTestUser('admin');
  lostId = await keyIdOf(LOST);
});

async function json(method: string, path: string, body?: unknown, user: TestUser = admin) {
  const res = await SELF.fetch(`https://vault.test${path}`, { method, headers: user.headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  expect(text).not.toContain(CANARY);
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function design(owner: TestUser, name: string, arenas: { id: string; enabled: boolean; tier: string }[]) {
  const r = await json('POST', '/api/query-designs', { name, description: `${name} description`, arenas_config: { arenas } }, owner);
  expect(r.status).toBe(201);
  return r.body as { id: number; arenas_config: unknown };
}

async function snapshot() {
  const read = async (sql: string) => (await env.DB.prepare(sql).all()).results;
  return {
    users: await read('SELECT id, email, role, is_active, token_version, updated_at FROM users ORDER BY id'),
    credentials: await read('SELECT * FROM api_credentials ORDER BY id'),
    designs: await read('SELECT id, owner_id, name, description, arenas_config FROM query_designs ORDER BY id'),
  };
}

/** The world of a vault that lost LOST: two designs, credentials under the lost key, the current key, and one mis-tagged row. */
async function lostKeyWorld() {
  const researcher = await createTestUser('researcher');
  const d1 = await design(researcher, 'Design one', [
    { id: 'google_search', enabled: true, tier: 'medium' },
    { id: 'youtube', enabled: true, tier: 'free' },
    { id: 'wikipedia', enabled: false, tier: 'free' },
    { id: 'gdelt', enabled: true, tier: 'free' },
  ]);
  const d2 = await design(researcher, 'Design two', [
    { id: 'reddit', enabled: true, tier: 'free' },
    { id: 'google_search', enabled: true, tier: 'medium' },
    { id: 'bluesky', enabled: true, tier: 'free' },
  ]);
  const lost = [
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: `${CANARY}-1` }, key: LOST }),
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: `${CANARY}-2` }, key: LOST }),
    await seedCredential({ platform: 'youtube', tier: 'free', fields: { api_key: `${CANARY}-3` }, key: LOST }),
  ];
  const keptYoutube = await seedCredential({ platform: 'youtube', tier: 'free', fields: { api_key: 'yt-kept-000000001' } });
  const keptReddit = await seedCredential({
    platform: 'reddit',
    tier: 'free',
    fields: { client_id: 'c', client_secret: 'reddit-kept-secret', user_agent: 'recovery/1.0' },
  });
  // Tagged with the current key id but encrypted under another key: unrecoverable, though its key id is "present".
  const mistagged = await seedCredential({
    platform: 'bluesky',
    tier: 'free',
    fields: { handle: 'x.bsky.social', app_password: `${CANARY}-4` },
    key: LOST,
    keyIdOverride: await keyIdOf(TEST_CREDENTIAL_KEY),
  });
  return { researcher, d1, d2, lost, keptYoutube, keptReddit, mistagged };
}

describe('lost-key recovery, end to end over REST', () => {
  it('names the missing key everywhere, then purges, disables exactly the affected arenas and re-enables exactly those', async () => {
    const w = await lostKeyWorld();

    // The banner on admin pages names the missing key and the row count; the app keeps serving.
    for (const path of ['/admin/query-designs', '/admin/recovery', '/admin/credentials']) {
      const page = await SELF.fetch(`https://vault.test${path}`, { headers: { authorization: `Bearer ${admin.token}` } });
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain(`3 credentials are encrypted under key ${lostId}`);
      expect(html).not.toContain(CANARY);
    }
    const collector = await apiKeyHeaders('collector');
    expect((await post('/api/pool/acquire', collector, { platform: 'reddit', tier: 'free', task_id: 'r' })).status).toBe(200);

    const status = await json('GET', '/api/admin/recovery');
    expect(status.body.missing_keys).toEqual([
      {
        key_id: lostId,
        rows: 3,
        by_platform: expect.arrayContaining([
          { platform: 'serper', tier: 'medium', rows: 2 },
          { platform: 'youtube', tier: 'free', rows: 1 },
        ]),
      },
    ]);
    expect(status.body.purge_preview).toEqual({
      rows: 3,
      disabled_arenas: [
        { query_design_id: w.d1.id, arena: 'google_search', tier: 'medium' },
        { query_design_id: w.d2.id, arena: 'google_search', tier: 'medium' },
      ],
    });

    // The purge refuses without the exact phrase, and refuses key ids that are in the ring.
    expect((await json('POST', '/api/admin/recovery/purge', { scope: 'all' })).status).toBe(422);
    expect((await json('POST', '/api/admin/recovery/purge', { scope: 'all', confirm: 'purge' })).body.error.details.field).toBe('confirm');
    const inRing = await json('POST', '/api/admin/recovery/purge', { confirm: PURGE_CONFIRMATION, key_ids: [await keyIdOf(TEST_CREDENTIAL_KEY)] });
    expect(inRing.status).toBe(422);
    expect((await env.DB.prepare('SELECT COUNT(*) AS n FROM api_credentials').first<{ n: number }>())!.n).toBe(6);

    const before = await snapshot();
    const purge = await json('POST', '/api/admin/recovery/purge', { confirm: PURGE_CONFIRMATION, scope: 'all' });
    expect(purge.status).toBe(200);
    expect(purge.body.purged_ids.sort()).toEqual([...w.lost, w.mistagged].sort());
    const disabled = [
      { query_design_id: w.d1.id, arena: 'google_search', tier: 'medium' },
      { query_design_id: w.d2.id, arena: 'google_search', tier: 'medium' },
      { query_design_id: w.d2.id, arena: 'bluesky', tier: 'free' },
    ];
    expect(purge.body.action).toMatchObject({
      purged_count: 4,
      key_ids: [await keyIdOf(TEST_CREDENTIAL_KEY), lostId].sort(),
      disabled_arenas: disabled,
      reenabled_at: null,
    });

    // Only the unrecoverable rows went; users, other credentials and the rest of each design are untouched.
    const after = await snapshot();
    expect(after.users).toEqual(before.users);
    expect(after.credentials).toEqual(before.credentials.filter((r: any) => ![...w.lost, w.mistagged].includes(r.id)));
    const cfg = (i: number) => JSON.parse((after.designs[i] as any).arenas_config).arenas;
    expect(cfg(0)).toEqual([
      { id: 'google_search', enabled: false, tier: 'medium' },
      { id: 'youtube', enabled: true, tier: 'free' }, // a youtube credential under the current key remains
      { id: 'wikipedia', enabled: false, tier: 'free' },
      { id: 'gdelt', enabled: true, tier: 'free' },
    ]);
    expect(cfg(1)).toEqual([
      { id: 'reddit', enabled: true, tier: 'free' },
      { id: 'google_search', enabled: false, tier: 'medium' },
      { id: 'bluesky', enabled: false, tier: 'free' },
    ]);
    for (const [i, d] of after.designs.entries()) {
      expect({ ...(d as object), arenas_config: undefined }).toEqual({ ...(before.designs[i] as object), arenas_config: undefined });
    }
    const ring = await CredentialKeyRing.fromKeys(TEST_CREDENTIAL_KEY);
    for (const r of after.credentials as any[]) expect(JSON.parse(utf8.decode(await ring.decrypt(r.encrypted_value, r.key_id)))).toBeTruthy();
    expect((await json('GET', '/api/admin/recovery')).body.missing_keys).toEqual([]);
    const banner = await (await SELF.fetch('https://vault.test/admin/query-designs', { headers: { authorization: `Bearer ${admin.token}` } })).text();
    expect(banner).not.toContain('which is not in the key ring');

    // Nothing left to purge.
    expect((await json('POST', '/api/admin/recovery/purge', { confirm: PURGE_CONFIRMATION, scope: 'all' })).status).toBe(409);

    // The researcher meanwhile switches gdelt off by hand: re-enable must not touch it.
    await json(
      'PATCH',
      `/api/query-designs/${w.d1.id}`,
      {
        arenas_config: { arenas: cfg(0).map((a: any) => (a.id === 'gdelt' ? { ...a, enabled: false } : a)) },
      },
      w.researcher,
    );

    // Re-enter the credentials, then re-enable exactly what the purge disabled.
    for (const body of [
      { platform: 'serper', tier: 'medium', credential_name: 'Serper again', fields: { api_key: 'serper-reentered-000001' } },
      { platform: 'bluesky', tier: 'free', credential_name: 'Bluesky again', fields: { handle: 'y.bsky.social', app_password: 'bsky-reentered-pass' } },
    ]) {
      expect((await json('POST', '/api/credentials', body)).status).toBe(201);
    }
    const re = await json('POST', `/api/admin/recovery/${purge.body.action.id}/reenable`);
    expect(re.status).toBe(200);
    expect(re.body).toMatchObject({ reenabled: disabled, skipped: [], still_without_credentials: [] });
    expect(re.body.action.reenabled_at).toEqual(expect.any(String));
    const final = await snapshot();
    expect(JSON.parse((final.designs[0] as any).arenas_config).arenas).toEqual([
      { id: 'google_search', enabled: true, tier: 'medium' },
      { id: 'youtube', enabled: true, tier: 'free' },
      { id: 'wikipedia', enabled: false, tier: 'free' },
      { id: 'gdelt', enabled: false, tier: 'free' },
    ]);
    expect(JSON.parse((final.designs[1] as any).arenas_config).arenas.every((a: any) => a.enabled)).toBe(true);
    expect((await json('POST', `/api/admin/recovery/${purge.body.action.id}/reenable`)).status).toBe(409);

    // Every step is in the audit log, and no audit row holds a secret.
    const audit = (await env.DB.prepare("SELECT action, target, detail FROM audit_events WHERE action LIKE 'recovery.%' ORDER BY id").all<any>()).results;
    expect(audit.map((a) => a.action)).toEqual(['recovery.purge', 'recovery.reenable']);
    expect(audit[0].target).toBe(`recovery:${purge.body.action.id}`);
    expect(JSON.parse(audit[0].detail)).toMatchObject({ scope: 'all', purged_count: 4, disabled_arenas: disabled });
    const all = JSON.stringify((await env.DB.prepare('SELECT * FROM audit_events').all()).results);
    expect(all).not.toContain(CANARY);
  });

  it('(a) with the old key added back as a previous key the rows become readable, and the check is audited', async () => {
    await lostKeyWorld();
    const withOldKey = { ...env, CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: LOST };
    const call = async (method: string, path: string) => {
      const res = await worker.fetch(new Request(`https://vault.test${path}`, { method, headers: admin.headers }), withOldKey, createExecutionContext());
      return JSON.parse(await res.text());
    };
    const status = await call('POST', '/api/admin/recovery/check');
    expect(status.missing_keys).toEqual([]);
    expect(status.keys).toContainEqual({ key_id: lostId, status: 'previous', rows: 3 });
    const health = await call('GET', '/api/arenas/health');
    expect(health.arenas.find((a: any) => a.arena === 'google_search' && a.tier === 'medium')).toMatchObject({
      status: 'ok',
      credentials: { previous_key: 2, undecryptable: 0 },
    });
    const audit = await env.DB.prepare("SELECT detail FROM audit_events WHERE action = 'recovery.check'").first<{ detail: string }>();
    expect(JSON.parse(audit!.detail)).toMatchObject({
      previous_key_ids: [lostId],
      readable_rows_under_previous_keys: 3,
      missing_key_ids: [],
      rows_still_missing: 0,
    });
  });

  it('purges only the rows under the chosen missing key ids', async () => {
    const w = await lostKeyWorld();
    const purge = await json('POST', '/api/admin/recovery/purge', { confirm: PURGE_CONFIRMATION, key_ids: [lostId] });
    expect(purge.status).toBe(200);
    expect(purge.body.purged_ids.sort()).toEqual([...w.lost].sort());
    expect(purge.body.action.disabled_arenas).toEqual([
      { query_design_id: w.d1.id, arena: 'google_search', tier: 'medium' },
      { query_design_id: w.d2.id, arena: 'google_search', tier: 'medium' },
    ]);
    expect(await env.DB.prepare('SELECT id FROM api_credentials WHERE id = ?').bind(w.mistagged).first()).not.toBeNull();
  });

  it('is admin only', async () => {
    const researcher = await createTestUser('researcher');
    expect((await json('GET', '/api/admin/recovery', undefined, researcher)).status).toBe(403);
    expect((await json('POST', '/api/admin/recovery/purge', { confirm: PURGE_CONFIRMATION, scope: 'all' }, researcher)).status).toBe(403);
  });
});

describe('/admin/recovery page', () => {
  it('walks through purge and re-enable by form, with the confirmation phrase', async () => {
    const w = await lostKeyWorld();
    const s = await pageSession(admin, '/admin/recovery');
    const page = await s.get('/admin/recovery');
    expect(page.html).toContain(`under missing key ${lostId}`);
    expect(page.html).toContain('wrangler secret put CREDENTIAL_ENCRYPTION_KEY_PREVIOUS');

    const wrong = await s.post('/admin/recovery/purge', { scope: `key:${lostId}`, confirm: 'yes please' });
    expect(wrong.status).toBe(303);
    expect(wrong.flash).toContain('Nothing purged');
    expect((await env.DB.prepare('SELECT COUNT(*) AS n FROM api_credentials').first<{ n: number }>())!.n).toBe(6);

    const done = await s.post('/admin/recovery/purge', { scope: `key:${lostId}`, confirm: PURGE_CONFIRMATION });
    expect(done.flash).toContain('Purged 3 unrecoverable credentials; disabled 2 arena settings');
    const listed = await s.get('/admin/recovery');
    const id = /action="\/admin\/recovery\/(\d+)\/reenable"/.exec(listed.html)![1];
    const re = await s.post(`/admin/recovery/${id}/reenable`, {});
    expect(re.flash).toContain('Re-enabled 2 arena settings');
    expect(re.flash).toContain('Still without a usable credential'); // serper was not re-entered
    const cfg = await env.DB.prepare('SELECT arenas_config FROM query_designs WHERE id = ?').bind(w.d2.id).first<{ arenas_config: string }>();
    expect(JSON.parse(cfg!.arenas_config).arenas.find((a: any) => a.id === 'google_search').enabled).toBe(true);
    const check = await s.post('/admin/recovery/check', {});
    expect(check.flash).toContain('still under missing keys');
  });
});
