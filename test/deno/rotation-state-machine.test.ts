// The rotation state machine's pure part under Deno: the same transitions the
// KeyRotation Durable Object persists, driven by hand with no I/O.
import assert from 'node:assert/strict';
import {
  aborted,
  batchCommitted,
  batchPrepared,
  checked,
  drainChecked,
  finalized,
  locked,
  needsWork,
  newRotation,
  nextAction,
  pendingReconciled,
  DEFAULT_OPTIONS,
  resolveOptions,
  stepFailed,
  verifyPageChecked,
  type RotationState,
} from '../../src/rotation/state-machine.ts';
import { StartRotationBody } from '../../src/rotation/requests.ts';
import { parseWith } from '../../src/schema/validate.ts';

const start = (): RotationState => newRotation({ runId: 'run-1', actor: 'user:1', now: 1000, currentKeyId: 'new', previousKeyIds: ['old'] });

Deno.test('rotation: the happy path walks locking → draining → verifying → reencrypting → checking → done → finalized', () => {
  let s = start();
  assert.equal(nextAction(s).kind, 'lock');
  s = locked(s, 1001, 1);
  assert.equal(s.phase, 'draining');
  assert.equal(nextAction(s).kind, 'check-drain');
  s = drainChecked(s, 1002, 1);
  assert.equal(s.phase, 'draining');
  s = drainChecked(s, 1003, 0);
  assert.equal(nextAction(s).kind, 'verify-page');
  s = verifyPageChecked(s, 1004, { rows: 3, lastId: 3, undecryptableIds: [], needingRotation: 3 });
  s = verifyPageChecked(s, 1005, { rows: 0, lastId: 3, undecryptableIds: [], needingRotation: 0 });
  assert.equal(s.phase, 'reencrypting');
  assert.equal(s.total, 3);
  s = batchPrepared(s, 1006, [1, 2, 3]);
  assert.equal(nextAction(s).kind, 'reconcile');
  s = batchCommitted(s, 1007, { rows: 3, lastId: 3, updated: 3, skipped: 0, failedIds: [] });
  assert.equal(nextAction(s).kind, 'reencrypt-batch');
  s = batchCommitted(s, 1008, { rows: 0, lastId: 3, updated: 0, skipped: 0, failedIds: [] });
  assert.equal(s.phase, 'checking');
  s = checked(s, 1009, 0);
  assert.equal(s.phase, 'done');
  assert.equal(nextAction(s).kind, 'finalize');
  assert.equal(needsWork(s), true);
  s = finalized(s, 1010);
  assert.equal(nextAction(s).kind, 'none');
  assert.equal(needsWork(s), false);
  assert.equal(s.done, 3);
});

Deno.test('rotation: an undecryptable row fails verification before anything is written, naming the id', () => {
  let s = drainChecked(locked(start(), 1, 0), 2, 0);
  s = verifyPageChecked(s, 3, { rows: 2, lastId: 9, undecryptableIds: [9], needingRotation: 2 });
  s = verifyPageChecked(s, 4, { rows: 0, lastId: 9, undecryptableIds: [], needingRotation: 0 });
  assert.equal(s.phase, 'failed');
  assert.equal(s.done, 0);
  assert.match(s.reason!, /\b9\b/);
});

Deno.test('rotation: a pending batch found after a crash is counted once when it had committed', () => {
  let s = verifyPageChecked(drainChecked(locked(start(), 1, 0), 2, 0), 3, { rows: 0, lastId: 0, undecryptableIds: [], needingRotation: 0 });
  s = batchPrepared(s, 4, [5, 6]);
  s = pendingReconciled(s, 5, 2);
  assert.equal(s.done, 2);
  assert.equal(s.pending, null);
  const again = pendingReconciled(batchPrepared(s, 6, [7]), 7, 0);
  assert.equal(again.done, 2);
});

Deno.test('rotation: drain timeout, abort and repeated step failures end the run with a reason', () => {
  const draining = locked(start(), 0, 2);
  const timedOut = drainChecked(draining, draining.drainDeadline!, 2);
  assert.equal(timedOut.phase, 'failed');
  assert.equal(aborted(draining, 5, 'user:2').phase, 'aborted');
  let s = draining;
  for (let i = 0; i < s.options.maxAttempts; i++) s = stepFailed(s, 10 + i, 'D1 unavailable');
  assert.equal(s.phase, 'failed');
  assert.match(s.reason!, /D1 unavailable/);
});

Deno.test("rotation: options are the defaults plus the operator's choice, checked within D1 limits at the edge", () => {
  assert.deepEqual(resolveOptions({}), DEFAULT_OPTIONS);
  assert.equal(resolveOptions({ batchSize: 50, drainTimeoutSeconds: 0 }).drainTimeoutMs, 0);
  assert.equal(parseWith(StartRotationBody, { batch_size: 0 }).ok, false);
  assert.equal(parseWith(StartRotationBody, { batch_size: 10_000 }).ok, false);
  assert.equal(parseWith(StartRotationBody, { batch_size: 50, drain_timeout_seconds: 0 }).ok, true);
});
