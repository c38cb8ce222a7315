/**
 * Issue 21, the pool's operations by credential id over REST: metadata
 * without plaintext, a cooldown by id (holders within the hour only), and the
 * token expiry.
 */
import { env, runInDurableObject, SELF } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { apiKeyActor, apiKeyPrefix } from '../../src/auth/api-keys.ts';
import { poolStub } from '../../src/pool/lock-api.ts';
import { apiKeyHeaders, post, resetPool, seedCredential, type ErrorBody } from './support.ts';

const CANARY = 'CANARY-by-id-7f6e5d4c3b2a';
let collector: Record<string, string>;

beforeEach(async () => {
  await env.DB.prepare('DELETE FROM api_credentials').run();
  await resetPool();
  collector = await apiKeyHeaders('collector');
});

async function call(method: string, path: string, headers: Record<string, string>, json?: unknown) {
  const res = await SELF.fetch(`https://vault.test${path}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
  const text = await res.text();
  return { status: res.status, text, body: (text ? JSON.parse(text) : null) as any };
}

async function actorOf(headers: Record<string, string>): Promise<string> {
  // The never-reused identity (auth/api-keys.ts apiKeyActor): the key's public prefix, not its AUTOINCREMENT id.
  return apiKeyActor(apiKeyPrefix(headers.authorization!.replace(/^ApiKey /, ''))!);
}

async function acquire(headers = collector, body: Record<string, unknown> = {}) {
  const r = await post('/api/pool/acquire', headers, { platform: 'serper', tier: 'medium', task_id: 'by-id', ...body });
  expect(r.status).toBe(200);
  return (await r.json()) as { lease_id: string; credential_id: number };
}

describe('GET /api/pool/credentials', () => {
  it("lists a platform/tier's metadata and never a field value", async () => {
    const a = await seedCredential({ platform: 'serper', tier: 'medium', name: 'first', fields: { api_key: `${CANARY}-1` } });
    const b = await seedCredential({ platform: 'serper', tier: 'medium', name: 'second', fields: { api_key: `${CANARY}-2` }, isActive: false });
    await seedCredential({
      platform: 'serpapi',
      tier: 'premium',
      name: 'other pool',
      fields: { api_key: `${CANARY}-3-abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuv` },
    });
    const list = await call('GET', '/api/pool/credentials?platform=serper&tier=medium', collector);
    expect(list.status).toBe(200);
    expect(list.text).not.toContain(CANARY);
    expect(list.body).toEqual({
      credentials: [
        { id: a, name: 'first', platform: 'serper', tier: 'medium', active: true, expires_at: null, cooldown_until: null },
        { id: b, name: 'second', platform: 'serper', tier: 'medium', active: false, expires_at: null, cooldown_until: null },
      ],
    });
    const one = await call('GET', `/api/pool/credentials/${a}`, collector);
    expect(one.status).toBe(200);
    expect(one.text).not.toContain(CANARY);
    expect(one.body).toEqual(list.body.credentials[0]);
  });

  it('answers 404 CREDENTIAL_NOT_FOUND, 422 for a bad query, and 401 before either for an unknown key', async () => {
    const missing = await call('GET', '/api/pool/credentials/999999', collector);
    expect(missing.status).toBe(404);
    expect((missing.body as ErrorBody).error.code).toBe('CREDENTIAL_NOT_FOUND');
    const noTier = await call('GET', '/api/pool/credentials?platform=serper', collector);
    expect(noTier.status).toBe(422);
    expect((noTier.body as ErrorBody).error.details?.field).toBe('tier');
    const badTier = await call('GET', '/api/pool/credentials?platform=serper&tier=free', collector);
    expect((badTier.body as ErrorBody).error.details?.field).toBe('tier');
    const unknownKey = { authorization: 'ApiKey av_live_nope', 'content-type': 'application/json' };
    expect((await call('GET', '/api/pool/credentials?platform=serper', unknownKey)).status).toBe(401);
    expect((await call('GET', '/api/pool/credentials/abc', unknownKey)).status).toBe(401);
  });
});

describe('cooldown by id', () => {
  it('lets a recent holder cool the credential down for every worker, and clear it', async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: `${CANARY}-4` } });
    const lease = await acquire();
    // Held and released: the hold still counts within the hour.
    expect((await post('/api/pool/release', collector, { lease_id: lease.lease_id })).status).toBe(200);
    const before = Date.now();
    const set = await call('POST', `/api/pool/credentials/${id}/cooldown`, collector, { seconds: 300, reason: 'FloodWait 300' });
    expect(set.status).toBe(200);
    expect(set.body.credential_id).toBe(id);
    expect(Date.parse(set.body.cooldown_until) - before).toBeGreaterThanOrEqual(299_000);

    // Another worker (another key) sees it: no lease, and the metadata says until when.
    const other = await apiKeyHeaders('collector');
    const refused = await post('/api/pool/acquire', other, { platform: 'serper', tier: 'medium', task_id: 'other' });
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as ErrorBody).error.details?.reason).toBe('all_cooling_down');
    expect((await call('GET', `/api/pool/credentials/${id}`, other)).body.cooldown_until).toBe(set.body.cooldown_until);

    const cleared = await call('DELETE', `/api/pool/credentials/${id}/cooldown`, collector);
    expect(cleared.status).toBe(204);
    expect((await call('GET', `/api/pool/credentials/${id}`, other)).body.cooldown_until).toBeNull();
    expect((await post('/api/pool/acquire', other, { platform: 'serper', tier: 'medium', task_id: 'other' })).status).toBe(200);
  });

  it('lets a key that holds a live lease set it, and keeps the error cooldown when the one by id is cleared', async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: `${CANARY}-5` } });
    const lease = await acquire(collector, { mode: 'shared' });
    expect((await call('POST', `/api/pool/credentials/${id}/cooldown`, collector, { seconds: 60, reason: 'x' })).status).toBe(200);
    const reported = await post('/api/pool/report-error', collector, { lease_id: lease.lease_id, kind: 'rate_limited', retry_after: 900 });
    const errorUntil = ((await reported.json()) as { cooldown_until: string }).cooldown_until;
    expect((await call('DELETE', `/api/pool/credentials/${id}/cooldown`, collector)).status).toBe(204);
    expect((await call('GET', `/api/pool/credentials/${id}`, collector)).body.cooldown_until).toBe(errorUntil);
  });

  it('refuses a key that never held a lease on it, or held one more than an hour ago (403 NOT_A_RECENT_HOLDER)', async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: `${CANARY}-6` } });
    const stranger = await apiKeyHeaders('collector');
    for (const [method, body] of [
      ['POST', { seconds: 60, reason: 'x' }],
      ['DELETE', undefined],
    ] as const) {
      const r = await call(method, `/api/pool/credentials/${id}/cooldown`, stranger, body);
      expect(r.status).toBe(403);
      expect((r.body as ErrorBody).error.code).toBe('NOT_A_RECENT_HOLDER');
    }
    // A hold that ended more than an hour ago no longer counts.
    const lease = await acquire();
    await post('/api/pool/release', collector, { lease_id: lease.lease_id });
    await runInDurableObject(poolStub(env), (_o, state: DurableObjectState) => {
      state.storage.sql.exec('UPDATE lease_ends SET ended_at = ?', Date.now() - 61 * 60_000);
    });
    const late = await call('POST', `/api/pool/credentials/${id}/cooldown`, collector, { seconds: 60, reason: 'x' });
    expect(late.status).toBe(403);
    // Nothing was set by the refusals.
    expect((await call('GET', `/api/pool/credentials/${id}`, collector)).body.cooldown_until).toBeNull();
    // Unknown credential: 404; bad body: 422.
    expect((await call('POST', '/api/pool/credentials/999999/cooldown', collector, { seconds: 60, reason: 'x' })).body.error.code).toBe('CREDENTIAL_NOT_FOUND');
    expect((await call('POST', `/api/pool/credentials/${id}/cooldown`, collector, { seconds: 0, reason: 'x' })).body.error.details?.field).toBe('seconds');
  });
});

describe('PUT /api/pool/credentials/:id/expires-at', () => {
  it('sets, reads and clears the token expiry, audited with the collector key as actor', async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: `${CANARY}-7` } });
    // Python's isoformat: microseconds and an offset; kept to the millisecond, answered in UTC.
    const set = await call('PUT', `/api/pool/credentials/${id}/expires-at`, collector, { expires_at: '2027-02-01T13:30:00.250999+01:00' });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ credential_id: id, expires_at: '2027-02-01T12:30:00.250Z' });
    expect((await call('GET', `/api/pool/credentials/${id}`, collector)).body.expires_at).toBe('2027-02-01T12:30:00.250Z');
    const row = await env.DB.prepare('SELECT expires_at FROM api_credentials WHERE id = ?').bind(id).first<{ expires_at: number }>();
    expect(row!.expires_at).toBe(Date.UTC(2027, 1, 1, 12, 30, 0, 250));
    const audit = await env.DB.prepare("SELECT actor, detail FROM audit_events WHERE action = 'credential.set_expiry' AND target = ?")
      .bind(`credential:${id}`)
      .all<{ actor: string; detail: string }>();
    expect(audit.results.map((e) => e.actor)).toEqual([await actorOf(collector)]);

    const cleared = await call('PUT', `/api/pool/credentials/${id}/expires-at`, collector, { expires_at: null });
    expect(cleared.body).toEqual({ credential_id: id, expires_at: null });
    expect((await call('GET', `/api/pool/credentials/${id}`, collector)).body.expires_at).toBeNull();

    expect((await call('PUT', `/api/pool/credentials/${id}/expires-at`, collector, { expires_at: 'next week' })).body.error.details?.field).toBe('expires_at');
    const missing = await call('PUT', '/api/pool/credentials/999999/expires-at', collector, { expires_at: null });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('CREDENTIAL_NOT_FOUND');
    const none = await env.DB.prepare("SELECT count(*) AS n FROM audit_events WHERE target = 'credential:999999'").first<{ n: number }>();
    expect(none!.n).toBe(0);
  });
});

describe('PoolEntrypoint: the operations by id over RPC (parity with REST)', () => {
  it('takes shared leases, lists metadata, cools down, sets the expiry and updates fields', async () => {
    const { exports } = await import('cloudflare:workers');
    const rpc = (exports as unknown as { PoolEntrypoint: import('../../src/pool/types.ts').PoolService }).PoolEntrypoint;
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: `${CANARY}-8` } });
    const a = await rpc.acquire({ platform: 'serper', tier: 'medium', task_id: 'rpc-a', mode: 'shared' });
    const b = await rpc.acquire({ platform: 'serper', tier: 'medium', task_id: 'rpc-b', mode: 'shared' });
    expect([a.mode, b.mode, b.credential_id]).toEqual(['shared', 'shared', id]);
    const list = await rpc.credentials('serper', 'medium');
    expect(JSON.stringify(list)).not.toContain(CANARY);
    expect(list.credentials.map((c) => c.id)).toEqual([id]);
    expect(await rpc.set_expires_at(id, '2027-03-01T00:00:00Z')).toEqual({ credential_id: id, expires_at: '2027-03-01T00:00:00.000Z' });
    expect((await rpc.credential(id)).expires_at).toBe('2027-03-01T00:00:00.000Z');
    expect((await rpc.cooldown(id, { seconds: 60, reason: 'rpc' })).credential_id).toBe(id);
    await rpc.clear_cooldown(id);
    expect((await rpc.credential(id)).cooldown_until).toBeNull();
    expect((await rpc.update_fields(a.lease_id, { api_key: `${CANARY}-9` })).credential_id).toBe(id);
    await rpc.release(a.lease_id);
    await rpc.release(b.lease_id);
    expect((await rpc.acquire({ platform: 'serper', tier: 'medium', task_id: 'rpc-c' })).fields).toEqual({ api_key: `${CANARY}-9` });
    const missing = await rpc.credential(999999).then(
      () => null,
      (e: unknown) => e,
    );
    expect(missing).toMatchObject({ code: 'CREDENTIAL_NOT_FOUND', status: 404 });
    // The REST key never held a lease on it: the service binding's holds are its own.
    expect((await call('POST', `/api/pool/credentials/${id}/cooldown`, collector, { seconds: 60, reason: 'x' })).status).toBe(403);
  });
});
