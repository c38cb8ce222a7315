/**
 * The pool's working copy across a rotation (issue 14 §7): the rotation
 * re-encrypts the rows in D1 while the pool is locked; unlocking re-reads the
 * copy in full, so the pool then holds (and decrypts) exactly the re-encrypted rows.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { beforeEach, expect, it } from 'vitest';
import { poolStub } from '../../src/pool/lock-api.ts';
import { NEW, OLD, ROTATION_PATH, admin, allRows, apiKeyHeaders, callJson, driveToEnd, resetWorld, seedRows } from './support.ts';

beforeEach(resetWorld);

const ACQUIRE = { platform: 'serper', tier: 'medium', task_id: 'after-rotation' };

async function copiedRows() {
  return runInDurableObject(poolStub(env), (_i, state) =>
    state.storage.sql.exec('SELECT id, key_id, encrypted_value FROM copy_credentials ORDER BY id').toArray(),
  );
}

it('after a rotation the pool holds the re-encrypted rows and leases them decrypted', async () => {
  const originals = await seedRows(40);
  const collector = await apiKeyHeaders('collector');
  const before = await callJson('POST', '/api/pool/acquire', collector, ACQUIRE);
  expect(before.status).toBe(200);
  expect((await callJson('POST', '/api/pool/release', collector, { lease_id: before.body.lease_id })).status).toBe(200);
  expect((await copiedRows()).every((r) => r.key_id === OLD.keyId)).toBe(true);

  expect((await callJson('POST', ROTATION_PATH, (await admin()).headers, { batch_size: 15 })).status).toBe(202);
  expect((await driveToEnd()).phase).toBe('done');

  const copy = await copiedRows();
  expect(copy).toEqual((await allRows()).map((r) => ({ ...r })));
  expect(copy.every((r) => r.key_id === NEW.keyId)).toBe(true);
  for (let i = 0; i < 5; i++) {
    const lease = await callJson('POST', '/api/pool/acquire', collector, ACQUIRE);
    expect(lease.status).toBe(200);
    expect(JSON.stringify(lease.body.fields)).toBe(JSON.stringify(JSON.parse(originals.get(lease.body.credential_id)!)));
  }
});
