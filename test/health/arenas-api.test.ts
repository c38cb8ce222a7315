import { createExecutionContext, env, SELF } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import worker from '../../src/index.ts';
import { poolStub } from '../../src/pool/lock-api.ts';
import { createTestUser, type TestUser } from '../support/auth.ts';
import { TEST_CREDENTIAL_KEY, TEST_CREDENTIAL_KEY_2 } from '../support/keys.ts';
import { apiKeyHeaders, keyIdOf, post, resetPool, seedCredential } from '../pool/support.ts';

type Tier = { arena: string; tier: string; status: string; in_use: boolean; credentials: Record<string, number>; undecryptable_ids?: number[] };
type Health = {
  overall: string;
  locked: boolean;
  arenas: Tier[];
  keys?: { missing_key_ids: string[]; rows_by_key: { key_id: string; status: string; rows: number }[] };
  decrypt?: { mode: string; checked: number; failed: { id: number; reason: string }[] };
};

const CANARY = 'CANARY-health-5e4d3c2b1a';
let admin: TestUser;

beforeEach(async () => {
  await env.DB.prepare('DELETE FROM api_credentials').run();
  await env.DB.prepare('DELETE FROM query_designs').run();
  await resetPool();
  admin = await createTestUser('admin');
});

/** Calls the Worker as if deployed with other credential keys. */
async function healthWith(keys: { current: string; previous?: string }, path = '/api/arenas/health', headers: Record<string, string> = admin.headers) {
  const modified = { ...env, CREDENTIAL_ENCRYPTION_KEY: keys.current, CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: keys.previous };
  const res = await worker.fetch(new Request(`https://vault.test${path}`, { headers }), modified, createExecutionContext());
  const text = await res.text();
  expect(text).not.toContain(CANARY);
  expect(text).not.toContain(TEST_CREDENTIAL_KEY);
  expect(text).not.toContain(TEST_CREDENTIAL_KEY_2);
  return { status: res.status, body: JSON.parse(text) as Health & Record<string, any> };
}

const tier = (h: Health, arena: string, t: string) => h.arenas.find((a) => a.arena === arena && a.tier === t)!;

async function enableInDesign(arenas: { id: string; enabled: boolean; tier: string }[]) {
  const r = await post('/api/query-designs', admin.headers, { name: 'health design', arenas_config: { arenas } });
  expect(r.status).toBe(201);
}

describe('GET /api/arenas/health', () => {
  it('reports ok per arena and tier with counts, and no_credentials_needed for keyless arenas', async () => {
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: CANARY } });
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: `${CANARY}-2` }, isActive: false });
    await enableInDesign([
      { id: 'google_search', enabled: true, tier: 'medium' },
      { id: 'gdelt', enabled: true, tier: 'free' },
    ]);
    const { status, body } = await healthWith({ current: TEST_CREDENTIAL_KEY });
    expect(status).toBe(200);
    expect(body.overall).toBe('ok');
    expect(tier(body, 'google_search', 'medium')).toMatchObject({
      status: 'ok',
      in_use: true,
      locked: false,
      credentials: { total: 2, active: 1, usable_now: 1, cooling_down: 0, leased: 0, current_key: 2, previous_key: 0, undecryptable: 0 },
    });
    expect(tier(body, 'google_autocomplete', 'medium').status).toBe('ok'); // same platform+tier
    expect(tier(body, 'gdelt', 'free')).toMatchObject({ status: 'no_credentials_needed', in_use: true });
    expect(tier(body, 'majestic', 'premium')).toMatchObject({ status: 'error', in_use: false }); // nothing configured, unused
  });

  it('catches a wrong key: rows under a key id the ring lacks are undecryptable, status error, 503', async () => {
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: CANARY } });
    await enableInDesign([{ id: 'google_search', enabled: true, tier: 'medium' }]);
    const { status, body } = await healthWith({ current: TEST_CREDENTIAL_KEY_2 }); // the operator put the wrong key
    expect(status).toBe(503);
    expect(body.overall).toBe('error');
    expect(tier(body, 'google_search', 'medium')).toMatchObject({
      status: 'error',
      credentials: { total: 1, current_key: 0, undecryptable: 1, usable_now: 0 },
    });
    expect(body.keys!.missing_key_ids).toEqual([await keyIdOf(TEST_CREDENTIAL_KEY)]);
  });

  it('reads rows under a previous key as readable, and says so', async () => {
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: CANARY } });
    const { status, body } = await healthWith({ current: TEST_CREDENTIAL_KEY_2, previous: TEST_CREDENTIAL_KEY });
    expect(status).toBe(200);
    expect(tier(body, 'google_search', 'medium')).toMatchObject({ status: 'ok', credentials: { previous_key: 1, current_key: 0, undecryptable: 0 } });
    expect(body.keys!.rows_by_key).toEqual([{ key_id: await keyIdOf(TEST_CREDENTIAL_KEY), status: 'previous', rows: 1 }]);
  });

  it('catches rows whose key id is in the ring but which do not authenticate: sampled always, every row with ?deep=1', async () => {
    const currentId = await keyIdOf(TEST_CREDENTIAL_KEY);
    const wrong = { key: TEST_CREDENTIAL_KEY_2, keyIdOverride: currentId };
    await seedCredential({ platform: 'youtube', tier: 'free', fields: { api_key: `${CANARY}-a` } });
    const middle = await seedCredential({ platform: 'youtube', tier: 'free', fields: { api_key: `${CANARY}-b` }, ...wrong });
    await seedCredential({ platform: 'youtube', tier: 'free', fields: { api_key: `${CANARY}-c` } });

    const plain = await healthWith({ current: TEST_CREDENTIAL_KEY });
    expect(plain.body.decrypt).toMatchObject({ mode: 'sample', checked: 2, failed: [] }); // first and last row only
    const deep = await healthWith({ current: TEST_CREDENTIAL_KEY }, '/api/arenas/health?deep=1');
    expect(deep.body.decrypt).toMatchObject({ mode: 'deep', checked: 3, failed: [{ id: middle, reason: 'token_invalid' }] });
    expect(tier(deep.body, 'youtube', 'free')).toMatchObject({
      status: 'degraded',
      credentials: { undecryptable: 1, usable_now: 2 },
      undecryptable_ids: [middle],
    });

    const last = await seedCredential({ platform: 'youtube', tier: 'free', fields: { api_key: `${CANARY}-d` }, ...wrong });
    const sampled = await healthWith({ current: TEST_CREDENTIAL_KEY });
    expect(sampled.body.decrypt!.failed.map((f) => f.id)).toEqual([last]);
    expect(tier(sampled.body, 'youtube', 'free').status).toBe('degraded');
  });

  it('shows leases, cooldowns and the lock from the pool', async () => {
    await seedCredential({ platform: 'reddit', tier: 'free', fields: { client_id: 'c', client_secret: CANARY, user_agent: 'health-test/1.0' } });
    const collector = await apiKeyHeaders('collector');
    const lease = (await (await post('/api/pool/acquire', collector, { platform: 'reddit', tier: 'free', task_id: 'h' })).json()) as { lease_id: string };
    let h = (await healthWith({ current: TEST_CREDENTIAL_KEY })).body;
    expect(tier(h, 'reddit', 'free')).toMatchObject({ status: 'degraded', credentials: { leased: 1, usable_now: 0 } });
    await post('/api/pool/report-error', collector, { lease_id: lease.lease_id, kind: 'rate_limited' });
    h = (await healthWith({ current: TEST_CREDENTIAL_KEY })).body;
    expect(tier(h, 'reddit', 'free')).toMatchObject({ status: 'degraded', credentials: { leased: 0, cooling_down: 1, usable_now: 0 } });
    expect(h.overall).toBe('degraded');

    await poolStub(env).lock('rotation:health');
    h = (await healthWith({ current: TEST_CREDENTIAL_KEY })).body;
    expect(h.locked).toBe(true);
    expect(tier(h, 'reddit', 'free')).toMatchObject({ locked: true });
    expect(h.lock).toMatchObject({ locked: true, holder: 'rotation:health' });
    await poolStub(env).unlock('rotation:health');
  });

  it('gives anonymous callers statuses and counts only; the deep check is admin-only', async () => {
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: CANARY }, key: TEST_CREDENTIAL_KEY_2 });
    const anon = await SELF.fetch('https://vault.test/api/arenas/health');
    const text = await anon.text();
    const body = JSON.parse(text);
    expect(body.arenas.length).toBeGreaterThan(20);
    expect(body.keys).toBeUndefined();
    expect(body.lock).toBeUndefined();
    expect(body.decrypt).toBeUndefined();
    expect(body.arenas[0].undecryptable_ids).toBeUndefined();
    expect(text).not.toContain(await keyIdOf(TEST_CREDENTIAL_KEY_2));
    expect(text).not.toContain(CANARY);
    expect((await SELF.fetch('https://vault.test/api/arenas/health?deep=1')).status).toBe(401);
    const researcher = await createTestUser('researcher');
    expect((await SELF.fetch('https://vault.test/api/arenas/health?deep=1', { headers: researcher.headers })).status).toBe(403);
  });
});
