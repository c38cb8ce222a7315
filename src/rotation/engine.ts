/**
 * Performs one rotation step against ports (the credential rows, the pool's
 * collection lock, the audit log, the checkpoint store) and returns the next
 * state. It holds no state of its own and knows nothing of Durable Objects or
 * D1: the KeyRotation Durable Object supplies D1 and pool adapters, and a
 * self-hosted edition can supply SQLite ones. Every step is safe to repeat
 * after a crash: locking and unlocking are idempotent, verification writes
 * nothing, a replayed batch only touches rows still under an old key, and the
 * audit event is written once per run.
 */
import type { CredentialKeyRing } from '../crypto/key-ring.ts';
import { RowReencrypter, verifyRows, type StoredRow } from './reencrypt.ts';
import { encodeCipherRewrite, type CipherRewrite } from '../credentials/cipher-rewrite.ts';
import {
  batchCommitted,
  batchPrepared,
  checked,
  drainChecked,
  finalized,
  keyChanged,
  locked,
  MAX_BATCH_CIPHER_CHARS,
  lockedMs,
  nextAction,
  pendingReconciled,
  verifyPageChecked,
  type Action,
  type RotationState,
} from './state-machine.ts';

/** The credential table, as rotation needs it. */
export interface CredentialRowsPort {
  /** Rows not under `keyId`. */
  countNotUnder(keyId: string): Promise<number>;
  /** Every row with id > afterId, in id order. */
  pageAll(afterId: number, limit: number): Promise<StoredRow[]>;
  /** Rows not under `keyId` with id > afterId, in id order. */
  pageNotUnder(keyId: string, afterId: number, limit: number): Promise<StoredRow[]>;
  /** Applies the batch atomically (one transaction); returns how many rows it changed. */
  compareAndSet(batch: CipherRewrite): Promise<number>;
  /** How many of `ids` are now under `keyId`. */
  countUnder(keyId: string, ids: number[]): Promise<number>;
}

interface CollectionLockPort {
  /** Takes (or re-takes) the lock; returns the leases still outstanding. */
  lock(): Promise<number>;
  outstandingLeases(): Promise<number>;
  /**
   * Hands a committed batch, every row of which changed in D1, to the pool's
   * copy; true when the copy confirmed them all. Never throws: a failure is
   * false (and logged).
   */
  copyRotated(batch: CipherRewrite): Promise<boolean>;
  /**
   * Releases the lock if this rotation holds it; harmless otherwise. With
   * `copyStale`, the copy's version changes first, so the copy re-reads D1.
   */
  unlock(copyStale: boolean): Promise<void>;
}

interface RotationAuditPort {
  /** Writes the event unless one with this action already exists for the run. */
  recordOnce(runId: string, action: string, actor: string, detail: Record<string, unknown>): Promise<void>;
}

/** Named points where tests can inject a failure; production supplies none. */
export type FaultPoint = 'lock' | 'drain' | 'verify-page' | 'reconcile' | 'before-commit' | 'after-commit' | 'check' | 'finalize';

export interface RotationPorts {
  rows: CredentialRowsPort;
  lock: CollectionLockPort;
  audit: RotationAuditPort;
  /** Persists a state mid-step (the pending batch, before its commit). */
  checkpoint(state: RotationState): Promise<void>;
  /** The ring as configured now (read per step, as production reads env). */
  ring(): Promise<CredentialKeyRing>;
  now(): number;
  fault?(point: FaultPoint, state: RotationState): Promise<void>;
}

export const AUDIT_ACTIONS = {
  started: 'rotation.started',
  done: 'rotation.done',
  failed: 'rotation.failed',
  aborted: 'rotation.aborted',
} as const;

/** The audit detail: counts and key ids, never a key. */
function auditDetail(s: RotationState, now: number): Record<string, unknown> {
  return {
    run_id: s.runId,
    to_key_id: s.currentKeyId,
    from_key_ids: s.previousKeyIds,
    total: s.total,
    done: s.done,
    skipped: s.skipped,
    failed: s.failed,
    rounds: s.pass,
    locked_ms: lockedMs(s, now),
    ...(s.reason ? { reason: s.reason } : {}),
  };
}

async function fault(ports: RotationPorts, point: FaultPoint, s: RotationState): Promise<void> {
  if (ports.fault) await ports.fault(point, s);
}

/** Runs `action` (normally `nextAction(state)`) once and returns the new state. */
export async function runStep(state: RotationState, ports: RotationPorts, action: Action = nextAction(state)): Promise<RotationState> {
  const s = state;
  if (action.kind === 'none') return s;
  if (action.kind === 'finalize') return finalize(s, ports);

  const ring = await ports.ring();
  if (ring.currentKeyId !== s.currentKeyId) return keyChanged(s, ports.now(), ring.currentKeyId);

  switch (action.kind) {
    case 'lock': {
      await fault(ports, 'lock', s);
      const outstanding = await ports.lock.lock();
      return locked(s, ports.now(), outstanding);
    }
    case 'check-drain': {
      await fault(ports, 'drain', s);
      return drainChecked(s, ports.now(), await ports.lock.outstandingLeases());
    }
    case 'verify-page': {
      const rows = await ports.rows.pageAll(s.cursor, s.options.verifyPageSize);
      await fault(ports, 'verify-page', s);
      const page = await verifyRows(ring, rows);
      return verifyPageChecked(s, ports.now(), { rows: rows.length, lastId: rows.at(-1)?.id ?? s.cursor, ...page });
    }
    case 'reconcile': {
      await fault(ports, 'reconcile', s);
      const committed = await ports.rows.countUnder(s.currentKeyId, s.pending?.ids ?? []);
      return pendingReconciled(s, ports.now(), committed);
    }
    case 'reencrypt-batch':
      return reencryptBatch(s, ring, ports);
    case 'check': {
      await fault(ports, 'check', s);
      return checked(s, ports.now(), await ports.rows.countNotUnder(s.currentKeyId));
    }
  }
}

/**
 * The longest prefix of `page` whose ciphertexts stay within
 * MAX_BATCH_CIPHER_CHARS, and never less than one row: the rows left out are
 * read again by the next batch (its cursor is this prefix's last id).
 */
export function withinBatchBudget<R extends StoredRow>(page: R[]): R[] {
  let chars = 0;
  for (let i = 0; i < page.length; i++) {
    chars += page[i]!.encryptedValue.length;
    if (chars > MAX_BATCH_CIPHER_CHARS && i > 0) return page.slice(0, i);
  }
  return page;
}

async function reencryptBatch(s: RotationState, ring: CredentialKeyRing, ports: RotationPorts): Promise<RotationState> {
  const rows = withinBatchBudget(await ports.rows.pageNotUnder(s.currentKeyId, s.cursor, s.options.batchSize));
  const lastId = rows.at(-1)?.id ?? s.cursor;
  if (rows.length === 0) return batchCommitted(s, ports.now(), { rows: 0, lastId, updated: 0, skipped: 0, failedIds: [] });
  const { updates, failedIds } = await new RowReencrypter(ring).reencrypt(rows);
  if (updates.length === 0) return batchCommitted(s, ports.now(), { rows: rows.length, lastId, updated: 0, skipped: 0, failedIds });

  await fault(ports, 'before-commit', s);
  // Remember the batch before committing it: if we die between the commit and
  // the checkpoint below, the reconcile step counts what was committed.
  const pending = batchPrepared(
    s,
    ports.now(),
    updates.map((u) => u.id),
  );
  await ports.checkpoint(pending);
  const batch = encodeCipherRewrite(updates);
  const changed = await ports.rows.compareAndSet(batch);
  await fault(ports, 'after-commit', pending);
  // A row skipped in D1 was written by someone else after we read it, and
  // that write changed the copy's version; the copy then re-reads anyway, so
  // the batch goes to it only whole, and a partial one marks it stale.
  const copied = changed === 0 || (changed === batch.count && (await ports.lock.copyRotated(batch)));
  return batchCommitted(pending, ports.now(), {
    rows: rows.length,
    lastId,
    updated: changed,
    skipped: updates.length - changed,
    failedIds,
    copyStale: !copied,
  });
}

async function finalize(s: RotationState, ports: RotationPorts): Promise<RotationState> {
  await fault(ports, 'finalize', s);
  // Always unlock, even if the checkpoint never saw the lock taken: the pool
  // may have granted it just before a crash.
  await ports.lock.unlock(s.copyStale !== false);
  const now = ports.now();
  const done = finalized(s, now);
  const action = s.phase === 'done' ? AUDIT_ACTIONS.done : s.phase === 'aborted' ? AUDIT_ACTIONS.aborted : AUDIT_ACTIONS.failed;
  await ports.audit.recordOnce(s.runId, action, s.actor, auditDetail(done, now));
  return done;
}
