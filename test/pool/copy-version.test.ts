/**
 * The pool copy's version rule (migration 0060, docs/data-model.md): every
 * watched change gives D1's `pool_copy_version` a value no earlier state had,
 * so a restore (an earlier state replayed here) followed by one write never
 * lands on the value the copy was read at; and a key rotation's ciphertext
 * rewrites, made under the pool's lock with the switch on, change it once,
 * when the switch goes off, after which the unlock re-reads the copy.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { pool } from '../../src/pool/client.ts';
import { setCipherRewrite, SYNC_PAGE_ROWS } from '../../src/pool/d1-source.ts';
import { poolStub } from '../../src/pool/lock-api.ts';
import { callJson, createTestUser, type TestUser } from '../support/auth.ts';
import { apiKeyHeaders, flushPoolUsage, post, resetPool, seedCredential } from './support.ts';

const ACQUIRE = { platform: 'serper', tier: 'medium', task_id: 'version-test' };

const version = async () => (await env.DB.prepare('SELECT version FROM pool_copy_version WHERE id = 1').first<{ version: number }>())!.version;
const setVersion = (v: number) => env.DB.prepare('UPDATE pool_copy_version SET version = ? WHERE id = 1').bind(v).run();

async function acquire(headers: Record<string, string>) {
  const res = await post('/api/pool/acquire', headers, ACQUIRE);
  return { status: res.status, body: (await res.json()) as any };
}

let admin: TestUser;

beforeEach(async () => {
  await env.DB.prepare('DELETE FROM api_credentials').run();
  await setCipherRewrite(env.DB, false);
  await resetPool();
  admin = await createTestUser('admin');
});

describe('a version that never repeats', () => {
  it('a replayed earlier state plus one write never lands on a value seen before', async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-version-0001' } });
    const seen = new Set<number>();
    for (let i = 0; i < 5; i++) {
      const bookmark = await version();
      seen.add(bookmark);
      await env.DB.prepare('UPDATE api_credentials SET daily_quota = ? WHERE id = ?')
        .bind(100 + i, id)
        .run();
      seen.add(await version());
      await setVersion(bookmark); // the restore brings the version row back
      await env.DB.prepare('UPDATE api_credentials SET monthly_quota = ? WHERE id = ?')
        .bind(1000 + i, id)
        .run();
      const after = await version();
      expect(seen.has(after), `version ${after} repeated an earlier one`).toBe(false);
      expect(Number.isSafeInteger(after) && after >= 0).toBe(true);
    }
  });

  it('a key that a replayed earlier state removed is refused after the next version check', async () => {
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-version-0002' }, maxLeases: 10 });
    const bookmark = await version();
    const gone = await apiKeyHeaders('collector'); // created after the bookmark
    expect((await acquire(gone)).status).toBe(200); // the copy has it
    // Replay the bookmark (the key's row and the version go back), then one SQL write to a watched column.
    await env.DB.prepare('DELETE FROM api_keys WHERE id = (SELECT MAX(id) FROM api_keys)').run();
    await setVersion(bookmark);
    await env.DB.prepare("UPDATE api_credentials SET daily_quota = 500 WHERE platform = 'serper'").run();
    await flushPoolUsage(); // the alarm's version check
    expect((await acquire(gone)).status).toBe(401);
  });
});

describe('the rotation switch', () => {
  it('while on, ciphertext rewrites keep the version and other columns change it; turning it off changes it', async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-switch-0001' } });
    const cipher = (v: string) => env.DB.prepare('UPDATE api_credentials SET encrypted_value = ?, key_id = ? WHERE id = ?').bind(v, 'k2', id).run();

    let v = await version();
    await cipher('a');
    expect(await version(), 'switch off: a ciphertext change counts').not.toBe(v);

    await setCipherRewrite(env.DB, true);
    v = await version();
    await cipher('b');
    expect(await version(), 'switch on: a ciphertext rewrite does not count').toBe(v);
    await env.DB.prepare('UPDATE api_credentials SET is_active = 0 WHERE id = ?').bind(id).run();
    expect(await version(), 'switch on: other columns still count').not.toBe(v);

    v = await version();
    await setCipherRewrite(env.DB, false);
    expect(await version(), 'turning the switch off counts once').not.toBe(v);
  });

  it('a secret replaced under the rotation lock is what the pool leases after the unlock', async () => {
    const collector = await apiKeyHeaders('collector');
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-switch-old' }, maxLeases: 10 });
    const first = await acquire(collector);
    expect(first.body.fields).toEqual({ api_key: 'CANARY-switch-old' });
    await post('/api/pool/release', collector, { lease_id: first.body.lease_id });

    // What the rotation's lock port does (rotation/durable-object.ts): lock, then the switch on.
    await poolStub(env).lock('key-rotation');
    await setCipherRewrite(env.DB, true);
    const replaced = await callJson('PUT', `/api/credentials/${id}/secret`, admin.headers, { fields: { api_key: 'CANARY-switch-new' } });
    expect(replaced.status).toBe(200);
    expect((await acquire(collector)).status).toBe(423);
    // And its unlock: the switch off (one version change), then the pool's unlock re-reads.
    await setCipherRewrite(env.DB, false);
    await pool(env).unlock('key-rotation');
    const next = await acquire(collector);
    expect(next.status).toBe(200);
    expect(next.body.fields).toEqual({ api_key: 'CANARY-switch-new' });
  });
});

describe('a sync in pages', () => {
  it('copies every row of a table larger than one page, and chooses within one pool', async () => {
    const n = SYNC_PAGE_ROWS * 2 + 7;
    const now = Date.now();
    const stmt = env.DB.prepare(
      `INSERT INTO api_credentials (platform, tier, credential_name, encrypted_value, key_id, created_at, updated_at)
       SELECT 'youtube', 'free', 'bulk ' || value, 'not-a-token', 'k-bulk', ?1, ?1 FROM json_each(?2)`,
    );
    await stmt.bind(now, JSON.stringify(Array.from({ length: n }, (_, i) => i))).run();
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-paged-0001' } });
    const collector = await apiKeyHeaders('collector');
    const lease = await acquire(collector);
    expect(lease.status).toBe(200);
    expect(lease.body).toMatchObject({ credential_id: id, fields: { api_key: 'CANARY-paged-0001' } });
    const { runInDurableObject } = await import('cloudflare:test');
    const copied = await runInDurableObject(
      poolStub(env),
      (_i, state) => state.storage.sql.exec<{ n: number }>('SELECT count(*) AS n FROM copy_credentials').one().n,
    );
    expect(copied).toBe(n + 1);
  });
});
