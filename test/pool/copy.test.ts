/**
 * The pool's working copy (issue 14 §7): the hot path reads only the
 * CredentialPool's own storage, and the copy follows D1 so that a write has
 * taken effect for the pool by the time it answers.
 */
import { env, evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { poolStub } from '../../src/pool/lock-api.ts';
import { encodeCipherRewrite } from '../../src/credentials/cipher-rewrite.ts';
import { CopyStore } from '../../src/pool/copy-store.ts';
import { callJson, createTestUser, type TestUser } from '../support/auth.ts';
import { apiKeyHeaders, flushPoolUsage, post, resetPool, seedCredential, type ErrorBody } from './support.ts';

const pendingUsage = () => poolStub(env).pendingUsage();

const ACQUIRE = { platform: 'serper', tier: 'medium', task_id: 'copy-test' };

let admin: TestUser;
let collector: Record<string, string>;

beforeEach(async () => {
  await env.DB.prepare('DELETE FROM api_credentials').run();
  await resetPool();
  admin = await createTestUser('admin');
  collector = await apiKeyHeaders('collector');
});

async function acquire(headers = collector) {
  const res = await post('/api/pool/acquire', headers, ACQUIRE);
  return { status: res.status, body: (await res.json()) as any };
}

async function createCredential(apiKey: string, extra: Record<string, unknown> = {}): Promise<number> {
  const r = await callJson('POST', '/api/credentials', admin.headers, {
    platform: 'serper',
    tier: 'medium',
    credential_name: `copy ${crypto.randomUUID().slice(0, 6)}`,
    fields: { api_key: apiKey },
    ...extra,
  });
  expect(r.status).toBe(201);
  return r.body.id as number;
}

describe('a credential write has taken effect for the pool once it answered', () => {
  it('created: leased at once', async () => {
    await acquire(); // the copy is read (and holds no serper credential)
    const id = await createCredential('CANARY-created-0001');
    const lease = await acquire();
    expect(lease.status).toBe(200);
    expect(lease.body).toMatchObject({ credential_id: id, fields: { api_key: 'CANARY-created-0001' } });
  });

  it('secret replaced: the next lease carries the new fields, never the old ones', async () => {
    const id = await createCredential('CANARY-old-secret-01');
    const first = await acquire();
    expect(first.body.fields).toEqual({ api_key: 'CANARY-old-secret-01' });
    await post('/api/pool/release', collector, { lease_id: first.body.lease_id });
    const replaced = await callJson('PUT', `/api/credentials/${id}/secret`, admin.headers, { fields: { api_key: 'CANARY-new-secret-01' } });
    expect(replaced.status).toBe(200);
    const next = await acquire();
    expect(next.status).toBe(200);
    expect(next.body.fields).toEqual({ api_key: 'CANARY-new-secret-01' });
  });

  it('quota edited: the new quota counts from the next acquire', async () => {
    const id = await createCredential('CANARY-quota-0001', { max_leases: 5 });
    expect((await acquire()).status).toBe(200);
    expect((await callJson('PATCH', `/api/credentials/${id}`, admin.headers, { daily_quota: 1 })).status).toBe(200);
    const refused = await acquire();
    expect(refused.status).toBe(404);
    expect(refused.body.error.details.reason).toBe('quota_exhausted');
  });

  it('deactivated: never leased again; activated: leased again', async () => {
    const id = await createCredential('CANARY-deact-0001');
    const lease = await acquire();
    expect(lease.status).toBe(200);
    await post('/api/pool/release', collector, { lease_id: lease.body.lease_id });
    expect((await callJson('POST', `/api/credentials/${id}/deactivate`, admin.headers)).status).toBe(200);
    const refused = await acquire();
    expect(refused.status).toBe(404);
    expect(refused.body.error.details.reason).toBe('none_configured');
    expect((await callJson('POST', `/api/credentials/${id}/activate`, admin.headers)).status).toBe(200);
    expect((await acquire()).body.credential_id).toBe(id);
  });

  it('deleted: never leased again, while another credential still is', async () => {
    const gone = await createCredential('CANARY-deleted-01', { max_leases: 10 });
    const kept = await createCredential('CANARY-kept-00001', { max_leases: 10 });
    expect((await acquire()).status).toBe(200);
    expect((await callJson('DELETE', `/api/credentials/${gone}`, admin.headers)).status).toBe(200);
    for (let i = 0; i < 5; i++) {
      const l = await acquire();
      expect(l.status).toBe(200);
      expect(l.body.credential_id).toBe(kept);
    }
  });
});

describe('API keys: the pool authenticates against its copy', () => {
  it('a revoked key is refused on the very next request', async () => {
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-revoke-01' }, maxLeases: 10 });
    const created = await callJson('POST', '/api/api-keys', admin.headers, { name: 'to revoke', scope: 'collector' });
    expect(created.status).toBe(201);
    const headers = { authorization: `ApiKey ${created.body.key}`, 'content-type': 'application/json' };
    expect((await acquire(headers)).status).toBe(200);
    expect((await callJson('DELETE', `/api/api-keys/${created.body.id}`, admin.headers)).status).toBe(204);
    const refused = await acquire(headers);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('an expired key is refused on the first request after its expiry', async () => {
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-expiry-01' }, maxLeases: 10 });
    const expiresAt = Date.now() + 1500;
    const created = await callJson('POST', '/api/api-keys', admin.headers, {
      name: 'short',
      scope: 'collector',
      expires_at: new Date(expiresAt).toISOString(),
    });
    expect(created.status).toBe(201);
    const headers = { authorization: `ApiKey ${created.body.key}`, 'content-type': 'application/json' };
    expect((await acquire(headers)).status).toBe(200);
    while (Date.now() <= expiresAt) await new Promise((r) => setTimeout(r, 100));
    expect((await acquire(headers)).status).toBe(401);
  });

  it('a deactivated owner: the key is refused on the next request', async () => {
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-owner-001' }, maxLeases: 10 });
    const owner = await createTestUser('admin');
    const created = await callJson('POST', '/api/api-keys', admin.headers, { name: 'owned', scope: 'admin', user_id: owner.id });
    const headers = { authorization: `ApiKey ${created.body.key}`, 'content-type': 'application/json' };
    expect((await acquire(headers)).status).toBe(200);
    expect((await callJson('PATCH', `/api/users/${owner.id}`, admin.headers, { is_active: false })).status).toBe(200);
    expect((await acquire(headers)).status).toBe(401);
  });

  it('a bad body with an unknown key is still a 401, not a 422; with a good key it is the 422', async () => {
    const unknown = await post('/api/pool/acquire', { authorization: `ApiKey av_AAAAAAAAAAAA_${'A'.repeat(43)}`, 'content-type': 'application/json' }, {});
    expect(unknown.status).toBe(401);
    const bad = await post('/api/pool/acquire', collector, {});
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as ErrorBody).error.code).toBe('VALIDATION_FAILED');
  });
});

describe('the hot path does not touch D1', () => {
  const renames = [
    ['api_credentials', 'api_credentials_away'],
    ['api_keys', 'api_keys_away'],
    ['users', 'users_away'],
  ] as const;
  afterEach(async () => {
    for (const [from, to] of renames)
      await env.DB.prepare(`ALTER TABLE ${to} RENAME TO ${from}`)
        .run()
        .catch(() => undefined);
  });

  it('acquire, renew, release and report-error answer while the tables they would read are gone from D1', async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-nod1-0001' }, maxLeases: 10 });
    expect((await acquire()).status).toBe(200); // the key is in the copy
    for (const [from, to] of renames) await env.DB.prepare(`ALTER TABLE ${from} RENAME TO ${to}`).run();

    const lease = await acquire();
    expect(lease.status).toBe(200);
    expect(lease.body).toMatchObject({ credential_id: id, fields: { api_key: 'CANARY-nod1-0001' } });
    expect((await post('/api/pool/renew', collector, { lease_id: lease.body.lease_id })).status).toBe(200);
    expect((await post('/api/pool/release', collector, { lease_id: lease.body.lease_id, units_used: 2 })).status).toBe(200);
    const second = await acquire();
    const reported = await post('/api/pool/report-error', collector, { lease_id: second.body.lease_id, kind: 'rate_limited', retry_after: 5 });
    expect(reported.status).toBe(200);
  });
});

describe('usage goes back to D1 by alarm', () => {
  it('last_used_at of the credential and the key, and error counts, reach D1 when the alarm runs', async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-usage-001' }, maxLeases: 10 });
    const before = Date.now();
    const lease = await acquire();
    await post('/api/pool/report-error', collector, { lease_id: lease.body.lease_id, kind: 'other' });
    const pending = await pendingUsage();
    expect(pending.credentials).toEqual([expect.objectContaining({ id, errors: 1 })]);
    const unflushed = await env.DB.prepare('SELECT last_used_at, error_count FROM api_credentials WHERE id = ?').bind(id).first();
    expect(unflushed).toEqual({ last_used_at: null, error_count: 0 });

    await flushPoolUsage();
    const row = await env.DB.prepare('SELECT last_used_at, error_count, last_error_at FROM api_credentials WHERE id = ?')
      .bind(id)
      .first<{ last_used_at: number; error_count: number; last_error_at: number }>();
    expect(row!.last_used_at).toBeGreaterThanOrEqual(before);
    expect(row!.error_count).toBe(1);
    expect(row!.last_error_at).toBeGreaterThanOrEqual(before);
    const key = await env.DB.prepare("SELECT MAX(last_used_at) AS used FROM api_keys WHERE name = 'test collector'").first<{ used: number }>();
    expect(key!.used).toBeGreaterThanOrEqual(before);
    expect((await pendingUsage()).credentials).toEqual([]);
  });

  it("a write made behind the app's back (raw D1) is found by the alarm's version check", async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-raw-00001' }, maxLeases: 10 });
    expect((await acquire()).status).toBe(200);
    await env.DB.prepare('UPDATE api_credentials SET is_active = 0 WHERE id = ?').bind(id).run();
    expect((await acquire()).status).toBe(200); // the copy has not seen it yet
    await flushPoolUsage(); // the alarm reads pool_copy_version with the usage, and syncs
    expect((await acquire()).status).toBe(404);
  });
});

describe('quota counters', () => {
  it('survive eviction of the pool object', async () => {
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-evict-001' }, dailyQuota: 3, maxLeases: 10 });
    const first = await acquire();
    await post('/api/pool/release', collector, { lease_id: first.body.lease_id, units_used: 2 });
    expect((await acquire()).status).toBe(200); // 3 of 3 used
    await evictDurableObject(poolStub(env));
    const refused = await acquire();
    expect(refused.status).toBe(404);
    expect(refused.body.error.details.reason).toBe('quota_exhausted');
    const used = await runInDurableObject(
      poolStub(env),
      (_i, state) => state.storage.sql.exec("SELECT SUM(units) AS n FROM usage WHERE period LIKE 'd:%'").one().n,
    );
    expect(used).toBe(3);
  });
});

describe('a sync after a write that fails', () => {
  afterEach(async () => {
    await env.DB.prepare('INSERT OR IGNORE INTO pool_copy_version (id, version) VALUES (1, 1000)').run();
    vi.restoreAllMocks();
  });

  it('answers the write with POOL_SYNC_PENDING (it is saved), and logs the failure by code, never by its message', async () => {
    await acquire(); // the copy is read
    await env.DB.prepare('DELETE FROM pool_copy_version').run(); // the version check now throws
    const logged: string[] = [];
    for (const m of ['log', 'info', 'warn', 'error'] as const) {
      vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void logged.push(a.map(String).join(' ')));
    }
    const r = await callJson('POST', '/api/credentials', admin.headers, {
      platform: 'serper',
      tier: 'medium',
      credential_name: 'sync fails',
      fields: { api_key: 'CANARY-syncfail-01' },
    });
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('POOL_SYNC_PENDING');
    const saved = await env.DB.prepare("SELECT COUNT(*) AS n FROM api_credentials WHERE credential_name = 'sync fails'").first<{ n: number }>();
    expect(saved!.n).toBe(1);
    const line = logged.find((l) => l.includes('pool.sync_after_write_failed'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toEqual({
      level: 'warn',
      request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      event: 'pool.sync_after_write_failed',
      path: '/api/credentials',
      code: 'POOL_UNAVAILABLE',
    });
    expect(logged.join('\n')).not.toContain('pool_copy_version');
    expect(logged.join('\n')).not.toContain('CANARY-syncfail-01');
  });
});

describe("a key rotation's batches", () => {
  const row = (value: string) => [1, 'serper', 'medium', value, 'k1', 1, null, null, null, null, 'exclusive'];
  const rotated = { id: 1, fromKeyId: 'k1', fromValue: 'old', toKeyId: 'k2', toValue: 'new' };
  const batch = (r: typeof rotated) => encodeCipherRewrite([r]);

  it('reach the live rows compare-and-set, and the staged rows of a sync that read a page before they committed', async () => {
    await runInDurableObject(poolStub(env), (_i, state) => {
      const copy = new CopyStore(state.storage);
      copy.beginReplace();
      copy.addCredentialsPage(JSON.stringify([row('old')]));
      copy.commitReplace(1, [], 0);
      expect(copy.applyRotated(batch(rotated)), 'the live row held the value the rotation read').toBe(0);
      expect(copy.credential(1)!.encryptedValue).toBe('new');
      expect(copy.applyRotated(batch(rotated)), 'a replay no longer matches').toBe(1);

      copy.beginReplace();
      copy.addCredentialsPage(JSON.stringify([row('old')])); // a page read before the next batch committed in D1
      copy.applyRotated(batch({ ...rotated, fromValue: 'old', toValue: 'newer' }));
      copy.commitReplace(2, [], 0);
      expect(copy.credential(1)!.encryptedValue, 'the staged row took the batch too').toBe('newer');
      expect(copy.credential(1)!.keyId).toBe('k2');
    });
  });

  it('are nothing to a copy never read: it will read D1 in full', async () => {
    await runInDurableObject(poolStub(env), (_i, state) => {
      state.storage.sql.exec('DELETE FROM copy_meta');
      expect(new CopyStore(state.storage).applyRotated(batch(rotated))).toBe(0);
    });
  });
});
