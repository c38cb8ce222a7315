/**
 * The pool copy's version rule (migration 0060, docs/data-model.md): every
 * watched change gives D1's `pool_copy_version` a value no earlier state had,
 * so a restore (an earlier state replayed here) followed by one write never
 * lands on the value the copy was read at; and a key rotation's ciphertext
 * rewrites, made with the switch on inside their own transaction, keep it:
 * the rotation hands them to the copy itself, which needs no re-read.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { pool } from '../../src/pool/client.ts';
import { bumpCopyVersion, SYNC_PAGE_ROWS } from '../../src/pool/d1-source.ts';
import { D1CredentialRows } from '../../src/rotation/d1-rows.ts';
import { loadConfig } from '../../src/config.ts';
import { poolStub } from '../../src/pool/lock-api.ts';
import { encodeCipherRewrite } from '../../src/credentials/cipher-rewrite.ts';
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
  await bumpCopyVersion(env.DB);
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

/** The row as D1 holds it, and the same row re-sealed under the current key with `plain` (a rotation keeps the plaintext; a test may not). */
async function rotatedRow(id: number, plain: string) {
  const row = (await env.DB.prepare('SELECT key_id, encrypted_value FROM api_credentials WHERE id = ?')
    .bind(id)
    .first<{ key_id: string; encrypted_value: string }>())!;
  const ring = (await loadConfig(env)).credentialKeys;
  const toValue = await ring.current.encrypt(JSON.stringify({ api_key: plain }));
  return { id, fromKeyId: row.key_id, fromValue: row.encrypted_value, toKeyId: ring.currentKeyId, toValue };
}

describe('the rotation switch', () => {
  it("keeps the version only for the rotation's own compare-and-set; any other ciphertext change counts", async () => {
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-switch-0001' } });
    const rows = new D1CredentialRows(env.DB);

    let v = await version();
    expect(await rows.compareAndSet(encodeCipherRewrite([await rotatedRow(id, 'CANARY-switch-0001')]))).toBe(1);
    expect(await version(), "the rotation's batch keeps the version").toBe(v);
    const flags = await env.DB.prepare('SELECT cipher_rewrite FROM pool_copy_version WHERE id = 1').first<{ cipher_rewrite: number }>();
    expect(flags!.cipher_rewrite, 'the switch is off again once the batch has committed').toBe(0);

    await env.DB.prepare('UPDATE api_credentials SET encrypted_value = ?, key_id = ? WHERE id = ?').bind('a', 'k2', id).run();
    expect(await version(), 'a ciphertext change outside the batch (an admin, between batches) counts').not.toBe(v);

    v = await version();
    await env.DB.prepare('UPDATE pool_copy_version SET cipher_rewrite = 1 WHERE id = 1').run(); // left on by an older release
    await bumpCopyVersion(env.DB);
    expect(await version(), 'bumpCopyVersion changes it').not.toBe(v);
    const after = await env.DB.prepare('SELECT cipher_rewrite FROM pool_copy_version WHERE id = 1').first<{ cipher_rewrite: number }>();
    expect(after!.cipher_rewrite).toBe(0);
  });

  it("the copy takes the lock holder's rotated rows without a re-read, and only the holder's", async () => {
    const collector = await apiKeyHeaders('collector');
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-handover-old' }, maxLeases: 10 });
    const first = await acquire(collector); // the copy has read D1
    expect(first.body.fields).toEqual({ api_key: 'CANARY-handover-old' });
    await post('/api/pool/release', collector, { lease_id: first.body.lease_id });

    await poolStub(env).lock('key-rotation');
    const row = await rotatedRow(id, 'CANARY-handover-new'); // a new plaintext, to tell the hand-over from a re-read
    await expect(pool(env).copyRotated('someone-else', encodeCipherRewrite([row]))).rejects.toMatchObject({ code: 'CONFLICT' });
    // Written in D1 with the switch: the version stays, so nothing but the hand-over can bring it to the copy.
    await env.DB.batch([
      env.DB.prepare('UPDATE pool_copy_version SET cipher_rewrite = 1 WHERE id = 1'),
      env.DB.prepare('UPDATE api_credentials SET encrypted_value = ?, key_id = ? WHERE id = ?').bind(row.toValue, row.toKeyId, id),
      env.DB.prepare('UPDATE pool_copy_version SET cipher_rewrite = 0 WHERE id = 1'),
    ]);
    expect(await pool(env).copyRotated('key-rotation', encodeCipherRewrite([row]))).toBe(true);
    expect(await pool(env).copyRotated('key-rotation', encodeCipherRewrite([row])), 'a replayed hand-over no longer matches').toBe(false);
    await pool(env).unlock('key-rotation');
    const next = await acquire(collector);
    expect(next.status).toBe(200);
    expect(next.body.fields).toEqual({ api_key: 'CANARY-handover-new' });
  });

  it('a secret replaced under the rotation lock is what the pool leases after the unlock', async () => {
    const collector = await apiKeyHeaders('collector');
    const id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'CANARY-switch-old' }, maxLeases: 10 });
    const first = await acquire(collector);
    expect(first.body.fields).toEqual({ api_key: 'CANARY-switch-old' });
    await post('/api/pool/release', collector, { lease_id: first.body.lease_id });

    await poolStub(env).lock('key-rotation');
    const replaced = await callJson('PUT', `/api/credentials/${id}/secret`, admin.headers, { fields: { api_key: 'CANARY-switch-new' } });
    expect(replaced.status).toBe(200);
    expect((await acquire(collector)).status).toBe(423);
    await pool(env).unlock('key-rotation'); // no version change by the rotation: the admin's write changed it
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
