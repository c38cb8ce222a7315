/**
 * The pool's working copy across a rotation (issues 14 §7 and 19): the
 * rotation re-encrypts the rows in D1 while the pool is locked and hands each
 * committed batch to the copy, so the pool then holds (and decrypts) exactly
 * the re-encrypted rows without re-reading D1; when the copy may have missed a
 * batch (a crash after a commit, a row that did not match), the unlock changes
 * D1's copy version and the copy re-reads it in full.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { beforeEach, expect, it } from 'vitest';
import { poolStub } from '../../src/pool/lock-api.ts';
import {
  NEW,
  OLD,
  ROTATION_PATH,
  admin,
  allRows,
  apiKeyHeaders,
  callJson,
  driveToEnd,
  planFaults,
  resetWorld,
  resume,
  seedRows,
  waitUntilPaused,
} from './support.ts';

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

/** D1's copy version, and the version and time the copy was last read at. */
async function versions() {
  const d1 = (await env.DB.prepare('SELECT version FROM pool_copy_version WHERE id = 1').first<{ version: number }>())!.version;
  const meta = await runInDurableObject(poolStub(env), (_i, state) => state.storage.sql.exec('SELECT version, synced_at FROM copy_meta').toArray()[0]);
  return { d1, copy: meta!.version as number, syncedAt: meta!.synced_at as number };
}

/**
 * Seeds rows, lets the copy read them (an acquire), and rotates them to the
 * end; with `whilePaused`, the first batch pauses before its commit and that
 * runs (given the seeded ids) before it goes on.
 */
async function rotateWithWarmCopy(n: number, beforeStart?: () => Promise<void>, whilePaused?: (ids: number[]) => Promise<void>) {
  const originals = await seedRows(n);
  const collector = await apiKeyHeaders('collector');
  const lease = await callJson('POST', '/api/pool/acquire', collector, ACQUIRE);
  expect(lease.status).toBe(200);
  await callJson('POST', '/api/pool/release', collector, { lease_id: lease.body.lease_id });
  await beforeStart?.();
  const before = await versions();
  if (whilePaused) await planFaults([{ point: 'before-commit', kind: 'pause', batch: 1 }]);
  expect((await callJson('POST', ROTATION_PATH, (await admin()).headers, { batch_size: 7 })).status).toBe(202);
  if (whilePaused) {
    await waitUntilPaused();
    await whilePaused([...originals.keys()]);
    await resume();
  }
  expect((await driveToEnd()).phase).toBe('done');
  return { originals, collector, before };
}

/**
 * D1's copy version changed since `d1Before` and the copy read it: it equals D1, every row under the
 * new key, and a lease opens to the row's plaintext.
 */
async function expectReread(d1Before: number, originals: Map<number, string>, collector: Record<string, string>) {
  const after = await versions();
  expect(after.d1, 'the version changed').not.toBe(d1Before);
  expect(after.copy, 'and the copy read it').toBe(after.d1);
  const copy = await copiedRows();
  expect(copy).toEqual((await allRows()).map((r) => ({ ...r })));
  expect(copy.every((r) => r.key_id === NEW.keyId)).toBe(true);
  const lease = await callJson('POST', '/api/pool/acquire', collector, ACQUIRE);
  expect(JSON.stringify(lease.body.fields)).toBe(JSON.stringify(JSON.parse(originals.get(lease.body.credential_id)!)));
}

it('a clean rotation reaches the copy batch by batch: no version change, no re-read', async () => {
  const { before } = await rotateWithWarmCopy(30);
  const after = await versions();
  expect(after.d1, "the rotation's rewrites kept D1's copy version").toBe(before.d1);
  expect(after.copy).toBe(before.copy);
  expect(after.syncedAt, 'the copy was not read again').toBe(before.syncedAt);
  const copy = await copiedRows();
  expect(copy).toEqual((await allRows()).map((r) => ({ ...r })));
  expect(copy.every((r) => r.key_id === NEW.keyId)).toBe(true);
});

it('a crash between a commit and its hand-over: the unlock changes the version and the copy re-reads', async () => {
  await planFaults([{ point: 'after-commit', kind: 'crash', batch: 2 }]);
  const { before, originals, collector } = await rotateWithWarmCopy(30);
  await expectReread(before.d1, originals, collector);
});

it('a row the copy holds otherwise than D1 did: the hand-over says so, and the copy re-reads at the unlock', async () => {
  const { before } = await rotateWithWarmCopy(20, async () => {
    // The copy's row differs from D1's (as if it had missed an earlier change), so the hand-over does not match.
    await runInDurableObject(poolStub(env), (_i, state) => {
      state.storage.sql.exec("UPDATE copy_credentials SET encrypted_value = 'stale' WHERE id = (SELECT MIN(id) FROM copy_credentials)");
    });
  });
  const after = await versions();
  expect(after.d1).not.toBe(before.d1);
  expect(after.copy).toBe(after.d1);
  expect(await copiedRows()).toEqual((await allRows()).map((r) => ({ ...r })));
});

it('a batch an admin edit cut short in D1 is not handed over: the copy re-reads at the unlock and holds the edit', async () => {
  const edit = { api_key: 'CANARY-edited-mid-batch' };
  let editedId = 0;
  const { before, originals, collector } = await rotateWithWarmCopy(20, undefined, async (ids) => {
    editedId = ids[3]!;
    const put = await callJson('PUT', `/api/credentials/${editedId}/secret`, (await admin()).headers, { fields: edit });
    expect(put.status).toBe(200);
  });
  originals.set(editedId, JSON.stringify(edit));
  await expectReread(before.d1, originals, collector);
});
