// The rotation's fault injection costs production nothing: without an
// installed hook (the Worker never installs one) the KeyRotation object
// gives the engine no fault port and never reads the plan from storage.
import { runInDurableObject } from 'cloudflare:test';
import { beforeEach, expect, it } from 'vitest';
import { rotationFaultHook, setRotationFaultHook } from '../../src/rotation/faults.ts';
import { ROTATION_PATH, admin, callJson, driveToEnd, expectIntact, planFaults, resetWorld, seedRows, stub } from './support.ts';
import { FAULTS_KEY, type PlannedFault } from './fault-hook.ts';

beforeEach(resetWorld);

const PLAN: PlannedFault[] = [{ point: 'lock', kind: 'throw', times: 5 }];

it('with no hook installed a planned fault is never read, let alone fired', async () => {
  await planFaults([]); // installs the suites' hook ...
  const installed = rotationFaultHook();
  setRotationFaultHook(null); // ... and this takes it away again: production
  try {
    const originals = await seedRows(30);
    await runInDurableObject(stub(), (_i, s) => s.storage.put(FAULTS_KEY, PLAN));
    expect((await callJson('POST', ROTATION_PATH, (await admin()).headers)).status).toBe(202);
    const end = await driveToEnd();
    expect(end).toMatchObject({ phase: 'done', done: 30 });
    expect(end.last_error ?? null).toBeNull();
    // The plan is exactly as written: nothing consumed an entry.
    expect(await runInDurableObject(stub(), (_i, s) => s.storage.get(FAULTS_KEY))).toEqual(PLAN);
    await expectIntact(originals, { underNew: true });
  } finally {
    setRotationFaultHook(installed);
  }
});

it('with the suites hook installed the same plan fires (so the test above can fail)', async () => {
  await seedRows(30);
  await planFaults(PLAN);
  expect((await callJson('POST', ROTATION_PATH, (await admin()).headers)).status).toBe(202);
  const end = await driveToEnd();
  expect(end.phase).toBe('failed');
  expect(end.reason).toContain('injected failure at lock');
});
