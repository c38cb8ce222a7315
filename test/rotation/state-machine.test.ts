// The rotation state machine on its own: no bindings, no clock, no storage.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_OPTIONS,
  MAX_BATCH_SIZE,
  MAX_LISTED_IDS,
  aborted,
  batchCommitted,
  batchPrepared,
  checked,
  drainChecked,
  finalized,
  isActive,
  isWaitingForLeases,
  keyChanged,
  locked,
  lockedMs,
  needsWork,
  newRotation,
  nextAction,
  pendingReconciled,
  resolveOptions,
  retryDelayMs,
  stepFailed,
  verifyPageChecked,
  type RotationState,
} from '../../src/rotation/state-machine.ts';
import { StartRotationBody } from '../../src/rotation/requests.ts';
import { parseOrThrow, parseWith } from '../../src/schema/validate.ts';

const T0 = 1_700_000_000_000;

function fresh(patch: Partial<RotationState> = {}): RotationState {
  return { ...newRotation({ runId: 'run-1', actor: 'user:1', now: T0, currentKeyId: 'new', previousKeyIds: ['old'] }), ...patch };
}

/** A rotation that has verified `total` rows needing work and is re-encrypting. */
function reencrypting(total: number): RotationState {
  let s = locked(fresh(), T0 + 1, 0);
  s = drainChecked(s, T0 + 2, 0);
  s = verifyPageChecked(s, T0 + 3, { rows: total, lastId: total, undecryptableIds: [], needingRotation: total });
  return verifyPageChecked(s, T0 + 4, { rows: 0, lastId: total, undecryptableIds: [], needingRotation: 0 });
}

describe('rotation state machine', () => {
  it('starts in locking and asks to take the lock', () => {
    const s = fresh();
    expect(s.phase).toBe('locking');
    expect(isActive(s)).toBe(true);
    expect(nextAction(s)).toEqual({ kind: 'lock' });
    expect(nextAction(null)).toEqual({ kind: 'none' });
    expect(needsWork(null)).toBe(false);
  });

  it('locking → draining with a deadline; draining waits for leases, then verifies', () => {
    const s = locked(fresh(), T0 + 10, 2);
    expect(s.phase).toBe('draining');
    expect(s.lockedAt).toBe(T0 + 10);
    expect(s.drainDeadline).toBe(T0 + 10 + DEFAULT_OPTIONS.drainTimeoutMs);
    expect(nextAction(s)).toEqual({ kind: 'check-drain' });
    expect(isWaitingForLeases(s)).toBe(true);

    const still = drainChecked(s, T0 + 20, 1);
    expect(still.phase).toBe('draining');
    expect(still.outstandingLeases).toBe(1);

    const drained = drainChecked(still, T0 + 30, 0);
    expect(drained.phase).toBe('verifying');
    expect(nextAction(drained)).toEqual({ kind: 'verify-page' });
    expect(isWaitingForLeases(drained)).toBe(false);
  });

  it('draining past its deadline fails, then asks to finalize (unlock)', () => {
    const s = locked(fresh(), T0, 3);
    const late = drainChecked(s, T0 + DEFAULT_OPTIONS.drainTimeoutMs, 3);
    expect(late.phase).toBe('failed');
    expect(late.reason).toMatch(/3 lease\(s\) were still out/);
    expect(late.finalized).toBe(false);
    expect(nextAction(late)).toEqual({ kind: 'finalize' });
    const over = finalized(late, T0 + DEFAULT_OPTIONS.drainTimeoutMs + 5);
    expect(nextAction(over)).toEqual({ kind: 'none' });
    expect(needsWork(over)).toBe(false);
    expect(over.unlockedAt).toBe(T0 + DEFAULT_OPTIONS.drainTimeoutMs + 5);
  });

  it('verifying accumulates pages; undecryptable rows fail it before any write, listing ids', () => {
    let s = drainChecked(locked(fresh(), T0, 0), T0, 0);
    s = verifyPageChecked(s, T0 + 1, { rows: 3, lastId: 7, undecryptableIds: [5], needingRotation: 2 });
    expect(s).toMatchObject({ phase: 'verifying', cursor: 7, verified: 3, total: 2, undecryptable: 1 });
    s = verifyPageChecked(s, T0 + 2, { rows: 2, lastId: 9, undecryptableIds: [9], needingRotation: 2 });
    s = verifyPageChecked(s, T0 + 3, { rows: 0, lastId: 9, undecryptableIds: [], needingRotation: 0 });
    expect(s.phase).toBe('failed');
    expect(s.undecryptableIds).toEqual([5, 9]);
    expect(s.reason).toContain('before anything was written');
    expect(s.reason).toContain('ids 5, 9');
    expect(s.done).toBe(0);
  });

  it('keeps at most MAX_LISTED_IDS ids but an exact count', () => {
    let s = drainChecked(locked(fresh(), T0, 0), T0, 0);
    const ids = Array.from({ length: MAX_LISTED_IDS + 50 }, (_, i) => i + 1);
    s = verifyPageChecked(s, T0, { rows: ids.length, lastId: ids.length, undecryptableIds: ids, needingRotation: 0 });
    s = verifyPageChecked(s, T0, { rows: 0, lastId: ids.length, undecryptableIds: [], needingRotation: 0 });
    expect(s.undecryptable).toBe(MAX_LISTED_IDS + 50);
    expect(s.undecryptableIds).toHaveLength(MAX_LISTED_IDS);
    expect(s.reason).toContain('and 50 more');
  });

  it('the stored state does not grow with the rows: 2,000 batches of 500 rows weigh what 100 do', () => {
    const sizeAfter = (batches: number): number => {
      let s = reencrypting(batches * 500);
      for (let b = 0; b < batches; b++) {
        const first = b * 500 + 1;
        s = batchPrepared(
          s,
          T0,
          Array.from({ length: 500 }, (_, i) => first + i),
        );
        // Three rows of every batch fail to decrypt: their ids must not pile up.
        s = batchCommitted(s, T0, { rows: 500, lastId: first + 499, updated: 497, skipped: 0, failedIds: [first, first + 1, first + 2] });
      }
      expect(s.pending).toBeNull();
      expect(s.failed).toBe(batches * 3);
      return JSON.stringify(s).length;
    };
    // Only the counters' digits may grow.
    expect(sizeAfter(2000) - sizeAfter(100)).toBeLessThan(40);
  });

  it('a clean verification moves to reencrypting, pass 1, from the start', () => {
    const s = reencrypting(10);
    expect(s).toMatchObject({ phase: 'reencrypting', pass: 1, cursor: 0, total: 10, verified: 10 });
    expect(nextAction(s)).toEqual({ kind: 'reencrypt-batch' });
  });

  it('a batch: pending first (reconcile if we crash), then cursor and counts', () => {
    const s = reencrypting(10);
    const pending = batchPrepared(s, T0 + 5, [1, 2, 3]);
    expect(nextAction(pending)).toEqual({ kind: 'reconcile' });
    const after = batchCommitted(pending, T0 + 6, { rows: 3, lastId: 3, updated: 2, skipped: 1, failedIds: [] });
    expect(after).toMatchObject({ cursor: 3, done: 2, skipped: 1, batches: 1, pending: null, passDone: 2, passSkipped: 1 });
    const end = batchCommitted(after, T0 + 7, { rows: 0, lastId: 3, updated: 0, skipped: 0, failedIds: [] });
    expect(end.phase).toBe('checking');
    expect(nextAction(end)).toEqual({ kind: 'check' });
  });

  it('reconciling a batch that committed before the crash counts it; one that did not, does not', () => {
    const pending = batchPrepared(reencrypting(10), T0, [1, 2, 3, 4]);
    const committed = pendingReconciled(pending, T0 + 1, 3);
    expect(committed).toMatchObject({ done: 3, skipped: 1, batches: 1, pending: null, cursor: 0 });
    const lost = pendingReconciled(pending, T0 + 1, 0);
    expect(lost).toMatchObject({ done: 0, skipped: 0, batches: 0, pending: null, cursor: 0 });
  });

  it('checking: zero left → done; rows left after progress → another pass; no progress → failed', () => {
    let s = batchCommitted(reencrypting(4), T0, { rows: 4, lastId: 4, updated: 3, skipped: 1, failedIds: [] });
    s = batchCommitted(s, T0, { rows: 0, lastId: 4, updated: 0, skipped: 0, failedIds: [] });
    expect(checked(s, T0 + 1, 0).phase).toBe('done');

    const again = checked(s, T0 + 1, 1);
    expect(again).toMatchObject({ phase: 'reencrypting', pass: 2, cursor: 0, passDone: 0, passSkipped: 0 });

    const stuck = batchCommitted(again, T0, { rows: 1, lastId: 4, updated: 0, skipped: 0, failedIds: [4] });
    const checking = batchCommitted(stuck, T0, { rows: 0, lastId: 4, updated: 0, skipped: 0, failedIds: [] });
    const failed = checked(checking, T0 + 2, 1);
    expect(failed.phase).toBe('failed');
    expect(failed.reason).toContain('ids 4');
    expect(failed.failed).toBe(1);
  });

  it('gives up after maxPasses if rows keep changing', () => {
    let s = reencrypting(1);
    for (let pass = 1; pass <= DEFAULT_OPTIONS.maxPasses; pass++) {
      s = batchCommitted(s, T0, { rows: 1, lastId: 1, updated: 0, skipped: 1, failedIds: [] });
      s = batchCommitted(s, T0, { rows: 0, lastId: 1, updated: 0, skipped: 0, failedIds: [] });
      s = checked(s, T0, 1);
    }
    expect(s.phase).toBe('failed');
    expect(s.reason).toContain(`after ${DEFAULT_OPTIONS.maxPasses} passes`);
  });

  it('a failing row is counted once across passes', () => {
    let s = batchCommitted(reencrypting(2), T0, { rows: 2, lastId: 2, updated: 1, skipped: 0, failedIds: [2] });
    s = checked(batchCommitted(s, T0, { rows: 0, lastId: 2, updated: 0, skipped: 0, failedIds: [] }), T0, 1);
    s = batchCommitted(s, T0, { rows: 1, lastId: 2, updated: 0, skipped: 0, failedIds: [2] });
    expect(s.failed).toBe(1);
    expect(s.failedIds).toEqual([2]);
  });

  it('abort stops an active rotation and says whether anything was written; not a finished one', () => {
    const early = aborted(locked(fresh(), T0, 0), T0 + 1, 'user:9');
    expect(early.phase).toBe('aborted');
    expect(early.reason).toContain('before anything was written');
    expect(nextAction(early)).toEqual({ kind: 'finalize' });
    const mid = aborted(batchCommitted(reencrypting(4), T0, { rows: 2, lastId: 2, updated: 2, skipped: 0, failedIds: [] }), T0, 'user:9');
    expect(mid.reason).toContain('after 2 of 4 rows');
    const done = finalized(checked(batchCommitted(reencrypting(0), T0, { rows: 0, lastId: 0, updated: 0, skipped: 0, failedIds: [] }), T0, 0), T0);
    expect(aborted(done, T0, 'user:9')).toBe(done);
  });

  it('a key change mid-rotation fails it', () => {
    const s = keyChanged(reencrypting(3), T0, 'other');
    expect(s.phase).toBe('failed');
    expect(s.reason).toContain('now other');
  });

  it('a thrown step retries with backoff, then fails; finalizing retries forever', () => {
    let s = reencrypting(3);
    for (let i = 1; i < DEFAULT_OPTIONS.maxAttempts; i++) {
      s = stepFailed(s, T0, 'D1 down');
      expect(s.phase).toBe('reencrypting');
      expect(s.attempts).toBe(i);
    }
    s = stepFailed(s, T0, 'D1 down');
    expect(s.phase).toBe('failed');
    expect(s.reason).toContain('D1 down');
    expect(s.lastError).toBe('D1 down');
    for (let i = 0; i < 20; i++) s = stepFailed(s, T0, 'pool down');
    expect(s.phase).toBe('failed');
    expect(nextAction(s)).toEqual({ kind: 'finalize' });
    expect(retryDelayMs(1)).toBe(500);
    expect(retryDelayMs(2)).toBe(1000);
    expect(retryDelayMs(50)).toBe(60_000);
  });

  it('a successful step clears the attempt count but keeps the last error for the record', () => {
    const s = stepFailed(reencrypting(3), T0, 'blip');
    const next = batchCommitted(s, T0 + 1, { rows: 1, lastId: 1, updated: 1, skipped: 0, failedIds: [] });
    expect(next.attempts).toBe(0);
    expect(next.lastError).toBe('blip');
  });

  it('measures how long collection was locked', () => {
    const s = locked(fresh(), T0 + 100, 0);
    expect(lockedMs(s, T0 + 600)).toBe(500);
    const over = finalized(aborted(s, T0 + 700, 'x'), T0 + 900);
    expect(lockedMs(over, T0 + 5000)).toBe(800);
    expect(lockedMs(fresh(), T0 + 5000)).toBe(0);
  });

  it('runs with the defaults and what the operator chose', () => {
    expect(resolveOptions({})).toEqual(DEFAULT_OPTIONS);
    expect(resolveOptions({ batchSize: 50, drainTimeoutSeconds: 0 })).toMatchObject({ batchSize: 50, drainTimeoutMs: 0 });
  });

  it('takes operator options only within D1 limits, checked at the edge (StartRotationBody), naming every bad one', () => {
    expect(parseOrThrow(StartRotationBody, {})).toEqual({});
    expect(parseOrThrow(StartRotationBody, { batch_size: MAX_BATCH_SIZE, drain_timeout_seconds: 0 })).toEqual({
      batch_size: MAX_BATCH_SIZE,
      drain_timeout_seconds: 0,
    });
    const fields = (body: unknown) => {
      const r = parseWith(StartRotationBody, body);
      return r.ok ? [] : r.problems.map((p) => p.field);
    };
    expect(fields({ batch_size: MAX_BATCH_SIZE + 1 })).toEqual(['batch_size']);
    expect(fields({ batch_size: 0 })).toEqual(['batch_size']);
    expect(fields({ batch_size: '10' })).toEqual(['batch_size']);
    expect(fields({ drain_timeout_seconds: -1 })).toEqual(['drain_timeout_seconds']);
    expect(fields({ batch_size: 2.5, drain_timeout_seconds: 3601, batchsize: 5 })).toEqual(['batch_size', 'drain_timeout_seconds', 'batchsize']);
  });
});
