// Injected failures at every phase and at several batch numbers, eviction,
// replayed alarms: after each, the rotation resumes (or fails cleanly) and
// every credential still decrypts to its original fields, none lost or added.
import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import type { PlannedFault } from './fault-hook.ts';
import type { KeyRotation } from '../../src/rotation/durable-object.ts';
import {
  NEW,
  ROTATION_PATH,
  admin,
  auditRows,
  callJson,
  driveToEnd,
  expectIntact,
  planFaults,
  poolLocked,
  resetWorld,
  seedRows,
  status,
  storedState,
  stub,
  waitFor,
  type Originals,
} from './support.ts';

beforeEach(resetWorld);

const ROWS = 120;
const BATCH = 25; // 5 batches

async function startWith(faults: PlannedFault[]): Promise<Originals> {
  const originals = await seedRows(ROWS);
  for (const [id, plain] of await seedRows(10, NEW, 'current')) originals.set(id, plain);
  await planFaults(faults);
  const res = await callJson('POST', ROTATION_PATH, (await admin()).headers, { batch_size: BATCH });
  expect(res.status).toBe(202);
  return originals;
}

async function expectDoneIntact(originals: Originals) {
  const end = await driveToEnd();
  expect(end).toMatchObject({ phase: 'done', total: ROWS, done: ROWS, skipped: 0, failed: 0, locked: false });
  await expectIntact(originals, { underNew: true });
  expect(await poolLocked()).toBe(false);
  expect(await auditRows('rotation.done')).toHaveLength(1);
  return end;
}

const RESUMABLE: PlannedFault[] = [
  { point: 'lock', kind: 'throw' },
  { point: 'drain', kind: 'throw' },
  { point: 'verify-page', kind: 'throw' },
  { point: 'before-commit', kind: 'throw', batch: 1 },
  { point: 'before-commit', kind: 'throw', batch: 3 },
  { point: 'before-commit', kind: 'throw', batch: 5 },
  { point: 'after-commit', kind: 'throw', batch: 1 },
  { point: 'after-commit', kind: 'throw', batch: 3 },
  { point: 'after-commit', kind: 'throw', batch: 5 },
  { point: 'check', kind: 'throw' },
  { point: 'finalize', kind: 'throw' },
];

describe('a failure injected once resumes from the checkpoint and finishes with every row intact', () => {
  for (const kind of ['throw', 'crash'] as const) {
    for (const f of RESUMABLE) {
      const fault = { ...f, kind };
      it(`${kind} at ${f.point}${f.batch ? ` (batch ${f.batch})` : ''}`, async () => {
        const originals = await startWith([fault]);
        const end = await expectDoneIntact(originals);
        if (kind === 'throw') expect(end.last_error).toContain(`injected failure at ${f.point}`);
        expect((await storedState())!.batches).toBe(5);
      });
    }
  }

  it('a crash after a commit, then a failure while reconciling it, still counts each row once', async () => {
    const originals = await startWith([
      { point: 'after-commit', kind: 'crash', batch: 2 },
      { point: 'reconcile', kind: 'throw' },
    ]);
    await expectDoneIntact(originals);
  });

  it('several crashes in one run', async () => {
    const originals = await startWith([
      { point: 'verify-page', kind: 'crash' },
      { point: 'before-commit', kind: 'crash', batch: 2 },
      { point: 'after-commit', kind: 'crash', batch: 2 },
      { point: 'after-commit', kind: 'crash', batch: 4 },
      { point: 'check', kind: 'crash' },
      { point: 'finalize', kind: 'crash' },
    ]);
    await expectDoneIntact(originals);
  });
});

describe('a failure that persists fails the rotation cleanly: lock released, every row readable', () => {
  const PERSISTENT: [PlannedFault, number][] = [
    [{ point: 'lock', kind: 'throw', times: 5 }, 0],
    [{ point: 'drain', kind: 'throw', times: 5 }, 0],
    [{ point: 'verify-page', kind: 'throw', times: 5 }, 0],
    [{ point: 'before-commit', kind: 'throw', batch: 1, times: 5 }, 0],
    [{ point: 'before-commit', kind: 'throw', batch: 4, times: 5 }, 3 * BATCH],
    [{ point: 'check', kind: 'throw', times: 5 }, ROWS],
  ];
  for (const [fault, doneRows] of PERSISTENT) {
    it(`at ${fault.point}${fault.batch ? ` (batch ${fault.batch})` : ''}`, async () => {
      const originals = await startWith([fault]);
      const end = await driveToEnd();
      expect(end.phase).toBe('failed');
      expect(end.done).toBe(doneRows);
      expect(end.reason).toContain('failed 5 times in a row');
      expect(end.reason).toContain(`injected failure at ${fault.point}`);
      expect(end.locked).toBe(false);
      expect(await poolLocked()).toBe(false);
      await expectIntact(originals);
      expect(await auditRows('rotation.failed')).toHaveLength(1);

      // Starting again finishes the job.
      await planFaults([]);
      if (doneRows < ROWS) {
        expect((await callJson('POST', ROTATION_PATH, (await admin()).headers)).status).toBe(202);
        expect(await driveToEnd()).toMatchObject({ phase: 'done', total: ROWS - doneRows, done: ROWS - doneRows });
      }
      await expectIntact(originals, { underNew: doneRows < ROWS });
    });
  }

  it('finalizing keeps retrying until the lock is released', async () => {
    const originals = await startWith([{ point: 'finalize', kind: 'throw', times: 8 }]);
    await waitFor((s) => s.phase === 'done' && s.attempts >= 1);
    expect(await poolLocked()).toBe(true);
    expect((await status()).locked).toBe(true);
    await expectDoneIntact(originals);
  });
});

describe('eviction and replayed alarms', () => {
  it('survives eviction mid-rotation', async () => {
    const originals = await seedRows(300);
    await callJson('POST', ROTATION_PATH, (await admin()).headers, { batch_size: 5 });
    await waitFor((s) => s.batches >= 3);
    await evictDurableObject(stub());
    await waitFor((s) => s.batches >= 6 || s.finalized);
    await evictDurableObject(stub());
    const end = await driveToEnd();
    expect(end).toMatchObject({ phase: 'done', total: 300, done: 300, skipped: 0 });
    await expectIntact(originals, { underNew: true });
  });

  it('replayed alarms (concurrent and after the end) change nothing', async () => {
    const originals = await seedRows(200);
    await callJson('POST', ROTATION_PATH, (await admin()).headers, { batch_size: 10 });
    await waitFor((s) => s.batches >= 2);
    // Two alarm runs at once, twice: they never interleave their batches.
    await Promise.all([runDurableObjectAlarm(stub()), runDurableObjectAlarm(stub())]);
    await Promise.all([
      runInDurableObject(stub(), (instance: KeyRotation) => instance.alarm()),
      runInDurableObject(stub(), (instance: KeyRotation) => instance.alarm()),
    ]);
    const end = await driveToEnd();
    expect(end).toMatchObject({ phase: 'done', total: 200, done: 200, skipped: 0 });
    const before = JSON.stringify(await storedState());
    // An alarm delivered again after the end.
    await runInDurableObject(stub(), (instance: KeyRotation) => instance.alarm());
    await runInDurableObject(stub(), (instance: KeyRotation) => instance.alarm());
    expect(JSON.stringify(await storedState())).toBe(before);
    expect(await auditRows('rotation.done')).toHaveLength(1);
    await expectIntact(originals, { underNew: true });
  });

  it('a batch replayed after its commit changes nothing', async () => {
    const { D1CredentialRows } = await import('../../src/rotation/d1-rows.ts');
    const { RowReencrypter } = await import('../../src/rotation/reencrypt.ts');
    const { loadConfig } = await import('../../src/config.ts');
    const originals = await seedRows(30);
    const rows = new D1CredentialRows(env.DB);
    const page = await rows.pageNotUnder(NEW.keyId, 0, 30);
    const { updates } = await new RowReencrypter((await loadConfig(env)).credentialKeys).reencrypt(page);
    const { encodeCipherRewrite } = await import('../../src/credentials/cipher-rewrite.ts');
    const batch = encodeCipherRewrite(updates);
    expect(await rows.compareAndSet(batch)).toBe(30);
    const after = await rows.pageAll(0, 100);
    expect(await rows.compareAndSet(batch)).toBe(0);
    expect(await rows.pageAll(0, 100)).toEqual(after);
    await expectIntact(originals, { underNew: true });
  });
});
