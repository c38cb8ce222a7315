/**
 * The credential-key rotation as a pure state machine: what phase a rotation
 * is in, what it must do next, and how each outcome moves it on. No I/O, no
 * bindings, no clock: the engine (engine.ts) performs the actions and feeds
 * their results back in; the Durable Object persists the state after every
 * step. Runtime-neutral, so the self-hosted edition can drive it too.
 *
 *   idle → locking → draining → verifying → reencrypting → checking → done
 *                       │           │             │            │
 *                       └───────────┴─────────────┴────────────┴──► failed / aborted
 *
 * Terminal phases are reached first with `finalized: false`; the `finalize`
 * action then releases the collection lock (and writes the audit event) and
 * only then sets `finalized`, so a crash in between simply finalizes again.
 *
 * See docs/api/rotation.md and ARCHITECTURE.md ("Credential-key rotation").
 */

export const ACTIVE_PHASES = ['locking', 'draining', 'verifying', 'reencrypting', 'checking'] as const;
export const TERMINAL_PHASES = ['done', 'failed', 'aborted'] as const;
export type ActivePhase = (typeof ACTIVE_PHASES)[number];
type TerminalPhase = (typeof TERMINAL_PHASES)[number];
export type Phase = 'idle' | ActivePhase | TerminalPhase;

interface RotationOptions {
  /** Rows per re-encryption batch: one D1 batch() of this many compare-and-set UPDATEs. */
  batchSize: number;
  /** Rows read and decrypted per verification page. */
  verifyPageSize: number;
  /** How long draining waits for outstanding leases before the rotation fails. */
  drainTimeoutMs: number;
  /** How often draining asks the pool again. */
  drainPollMs: number;
  /** Re-encryption passes before giving up on rows that keep changing. */
  maxPasses: number;
  /** Consecutive failed attempts of one step before the rotation fails. */
  maxAttempts: number;
}

/**
 * Rows per re-encryption batch we allow. A batch is one compare-and-set
 * statement whatever its size, but each also costs a checkpoint, a D1
 * transaction and a hand-over to the pool (each a storage commit), so larger
 * batches rotate faster (1,000-row batches measured 15 to 25% more rows/s
 * than 500-row ones; docs/benchmarks.md).
 */
export const MAX_BATCH_SIZE = 1000;
/**
 * Ciphertext characters per batch we allow, whatever `batchSize` says: the
 * batch's JSON (old ciphertext tails and new ciphertexts) is ONE bound D1
 * parameter, and D1 refuses a string over 2 MB. Ordinary credentials are
 * about 150 characters, so only tables of very large ones (Telegram session
 * strings run to 6 KB) make batches shorter than `batchSize`.
 */
export const MAX_BATCH_CIPHER_CHARS = 1_000_000;
/** The longest an operator may let draining wait for outstanding leases. */
export const MAX_DRAIN_TIMEOUT_SECONDS = 3600;
export const DEFAULT_OPTIONS: RotationOptions = {
  // The largest allowed (see MAX_BATCH_SIZE: the largest batch is the fastest).
  batchSize: MAX_BATCH_SIZE,
  verifyPageSize: 1000,
  // A lease lives 10 minutes unless renewed; wait a little longer than one lease.
  drainTimeoutMs: 11 * 60_000,
  drainPollMs: 1000,
  maxPasses: 5,
  maxAttempts: 5,
};

/** Ids kept in state for reporting; counts stay exact beyond this. */
export const MAX_LISTED_IDS = 100;

/** A re-encryption batch about to be committed (written before the D1 batch). */
interface PendingBatch {
  ids: number[];
}

export interface RotationState {
  runId: string;
  phase: Phase;
  /** Who started it (`user:3`, `api_key:Ab3dEf6hIj9k`); never a secret. */
  actor: string;
  /** The key every row must end under, fixed when the rotation starts. */
  currentKeyId: string;
  previousKeyIds: string[];
  options: RotationOptions;
  startedAt: number;
  updatedAt: number;
  finishedAt: number | null;
  lockedAt: number | null;
  unlockedAt: number | null;
  drainDeadline: number | null;
  outstandingLeases: number | null;
  /** Last row id handled in the current verification page run or re-encryption pass. */
  cursor: number;
  pass: number;
  /** Rows decrypted by verification so far. */
  verified: number;
  /** Rows that needed re-encryption when verification finished. */
  total: number;
  /** Rows re-encrypted and committed. */
  done: number;
  /** Compare-and-set misses: the row changed meanwhile (an admin edit wins). */
  skipped: number;
  /** Rows that would not decrypt while re-encrypting. */
  failed: number;
  failedIds: number[];
  /** Verification: rows that would not decrypt (count and the first ids). */
  undecryptable: number;
  undecryptableIds: number[];
  /** Counts of the current pass, to tell progress from a pass that changed nothing. */
  passDone: number;
  passSkipped: number;
  batches: number;
  pending: PendingBatch | null;
  attempts: number;
  lastError: string | null;
  /** Why the rotation failed or was aborted, in words an operator can act on. */
  reason: string | null;
  /** Terminal phase reached and lock released (audit written). */
  finalized: boolean;
  /**
   * The pool's copy may lack a committed batch (its hand-over failed or did
   * not match, or a restart found a batch committed with its hand-over
   * unknown): the unlock then changes the copy's version, so the copy re-reads
   * D1. Absent in a state saved by an older release: treated as true.
   */
  copyStale?: boolean;
}

export type Action =
  | { kind: 'none' }
  | { kind: 'lock' }
  | { kind: 'check-drain' }
  | { kind: 'verify-page' }
  | { kind: 'reconcile' }
  | { kind: 'reencrypt-batch' }
  | { kind: 'check' }
  | { kind: 'finalize' };

/** Whether a phase is one of ACTIVE_PHASES (a rotation runs: collection is, or is being, locked). */
export function isActivePhase(phase: string): phase is ActivePhase {
  return (ACTIVE_PHASES as readonly string[]).includes(phase);
}

export function isActive(s: RotationState | null | undefined): boolean {
  return Boolean(s && isActivePhase(s.phase));
}

function isTerminal(s: RotationState | null | undefined): boolean {
  return Boolean(s && (TERMINAL_PHASES as readonly string[]).includes(s.phase));
}

/** Something still has to happen (work, or releasing the lock after the end). */
export function needsWork(s: RotationState | null | undefined): boolean {
  return Boolean(s && (isActive(s) || (isTerminal(s) && !s.finalized)));
}

/**
 * The options of a run: the defaults, with what the operator chose. The
 * choice was validated at the edge (rotation/requests.ts: StartRotationBody).
 */
export function resolveOptions(input: { batchSize?: number; drainTimeoutSeconds?: number }): RotationOptions {
  return {
    ...DEFAULT_OPTIONS,
    batchSize: input.batchSize ?? DEFAULT_OPTIONS.batchSize,
    drainTimeoutMs: input.drainTimeoutSeconds === undefined ? DEFAULT_OPTIONS.drainTimeoutMs : input.drainTimeoutSeconds * 1000,
  };
}

export function newRotation(input: {
  runId: string;
  actor: string;
  now: number;
  currentKeyId: string;
  previousKeyIds: string[];
  options?: RotationOptions;
}): RotationState {
  return {
    runId: input.runId,
    phase: 'locking',
    actor: input.actor,
    currentKeyId: input.currentKeyId,
    previousKeyIds: [...input.previousKeyIds],
    options: input.options ?? { ...DEFAULT_OPTIONS },
    startedAt: input.now,
    updatedAt: input.now,
    finishedAt: null,
    lockedAt: null,
    unlockedAt: null,
    drainDeadline: null,
    outstandingLeases: null,
    cursor: 0,
    pass: 0,
    verified: 0,
    total: 0,
    done: 0,
    skipped: 0,
    failed: 0,
    failedIds: [],
    undecryptable: 0,
    undecryptableIds: [],
    passDone: 0,
    passSkipped: 0,
    batches: 0,
    pending: null,
    copyStale: false,
    attempts: 0,
    lastError: null,
    reason: null,
    finalized: false,
  };
}

/** The one thing to do next; `none` when idle or finished. */
export function nextAction(s: RotationState | null | undefined): Action {
  if (!s) return { kind: 'none' };
  switch (s.phase) {
    case 'locking':
      return { kind: 'lock' };
    case 'draining':
      return { kind: 'check-drain' };
    case 'verifying':
      return { kind: 'verify-page' };
    case 'reencrypting':
      return s.pending ? { kind: 'reconcile' } : { kind: 'reencrypt-batch' };
    case 'checking':
      return { kind: 'check' };
    case 'done':
    case 'failed':
    case 'aborted':
      return s.finalized ? { kind: 'none' } : { kind: 'finalize' };
    default:
      return { kind: 'none' };
  }
}

function touch(s: RotationState, now: number, patch: Partial<RotationState>): RotationState {
  return { ...s, ...patch, updatedAt: now, attempts: 0, lastError: patch.lastError ?? s.lastError };
}

function end(s: RotationState, now: number, phase: TerminalPhase, reason: string | null): RotationState {
  return { ...s, phase, reason, finishedAt: now, updatedAt: now, attempts: 0, finalized: false };
}

/** The pool took the lock: wait for outstanding leases. */
export function locked(s: RotationState, now: number, outstandingLeases: number): RotationState {
  return touch(s, now, {
    phase: 'draining',
    lockedAt: s.lockedAt ?? now,
    outstandingLeases,
    drainDeadline: now + s.options.drainTimeoutMs,
  });
}

/** The pool answered how many leases are still out. */
export function drainChecked(s: RotationState, now: number, outstandingLeases: number): RotationState {
  if (outstandingLeases === 0) {
    return touch(s, now, { phase: 'verifying', outstandingLeases: 0, cursor: 0, verified: 0, total: 0, undecryptable: 0, undecryptableIds: [] });
  }
  if (s.drainDeadline !== null && now >= s.drainDeadline) {
    const seconds = Math.round(s.options.drainTimeoutMs / 1000);
    return end(
      { ...s, outstandingLeases },
      now,
      'failed',
      `${outstandingLeases} lease(s) were still out after ${seconds} s of draining; nothing was changed. Let the collectors finish or wait for their leases to expire, then start again.`,
    );
  }
  return touch(s, now, { outstandingLeases });
}

/** Draining must ask the pool again later (leases still out, deadline not reached). */
export function isWaitingForLeases(s: RotationState): boolean {
  return s.phase === 'draining' && (s.outstandingLeases ?? 0) > 0;
}

interface VerifyPageResult {
  /** Rows read in this page (0 = verification has seen every row). */
  rows: number;
  lastId: number;
  undecryptableIds: number[];
  /** Rows in this page not under the rotation's current key. */
  needingRotation: number;
}

function addIds(list: number[], ids: number[]): number[] {
  if (list.length >= MAX_LISTED_IDS || ids.length === 0) return list;
  return [...list, ...ids.filter((id) => !list.includes(id))].slice(0, MAX_LISTED_IDS);
}

/** One verification page decrypted; at the end, fail before writing anything or start re-encrypting. */
export function verifyPageChecked(s: RotationState, now: number, page: VerifyPageResult): RotationState {
  if (page.rows > 0) {
    return touch(s, now, {
      cursor: page.lastId,
      verified: s.verified + page.rows,
      total: s.total + page.needingRotation,
      undecryptable: s.undecryptable + page.undecryptableIds.length,
      undecryptableIds: addIds(s.undecryptableIds, page.undecryptableIds),
    });
  }
  if (s.undecryptable > 0) {
    const shown = s.undecryptableIds.join(', ');
    const more = s.undecryptable > s.undecryptableIds.length ? ` and ${s.undecryptable - s.undecryptableIds.length} more` : '';
    return end(
      s,
      now,
      'failed',
      `Verification failed before anything was written: ${s.undecryptable} row(s) do not decrypt with the key ring (ids ${shown}${more}). Add the key they need to CREDENTIAL_ENCRYPTION_KEY_PREVIOUS, or repair them on /admin/recovery, then start again.`,
    );
  }
  return touch(s, now, { phase: 'reencrypting', cursor: 0, pass: 1, passDone: 0, passSkipped: 0 });
}

/** The re-encrypted batch is about to be committed; remember its ids first. */
export function batchPrepared(s: RotationState, now: number, ids: number[]): RotationState {
  return { ...s, pending: { ids }, updatedAt: now };
}

interface BatchResult {
  /** Rows read for this batch (0 = the pass has reached the end). */
  rows: number;
  lastId: number;
  updated: number;
  skipped: number;
  failedIds: number[];
  /** The pool's copy did not confirm this batch's rows (see RotationState.copyStale). */
  copyStale?: boolean;
}

/** A batch was committed (or the page was empty): move the cursor and counts. */
export function batchCommitted(s: RotationState, now: number, b: BatchResult): RotationState {
  if (b.rows === 0) return touch(s, now, { phase: 'checking', pending: null });
  const newFailures = b.failedIds.filter((id) => !s.failedIds.includes(id));
  return touch(s, now, {
    cursor: b.lastId,
    pending: null,
    batches: s.batches + (b.updated + b.skipped > 0 ? 1 : 0),
    done: s.done + b.updated,
    skipped: s.skipped + b.skipped,
    failed: s.failed + newFailures.length,
    failedIds: addIds(s.failedIds, newFailures),
    passDone: s.passDone + b.updated,
    passSkipped: s.passSkipped + b.skipped,
    ...(b.copyStale ? { copyStale: true } : {}),
  });
}

/**
 * After a restart with a pending batch: `committed` of its rows are now under
 * the current key, so that batch was committed before the crash. The cursor
 * stays where it was: rows the batch did not change are simply read again.
 * Whether the pool's copy got a committed batch is unknown, so it re-reads
 * at the unlock.
 */
export function pendingReconciled(s: RotationState, now: number, committed: number): RotationState {
  const ids = s.pending?.ids.length ?? 0;
  const wasCommitted = committed > 0;
  return touch(s, now, {
    pending: null,
    batches: s.batches + (wasCommitted ? 1 : 0),
    done: s.done + committed,
    passDone: s.passDone + committed,
    // A committed batch whose other rows lost their compare-and-set were skipped.
    skipped: s.skipped + (wasCommitted ? ids - committed : 0),
    passSkipped: s.passSkipped + (wasCommitted ? ids - committed : 0),
    ...(wasCommitted ? { copyStale: true } : {}),
  });
}

/** Rows still not under the current key after a pass. */
export function checked(s: RotationState, now: number, remaining: number): RotationState {
  if (remaining === 0) return end(s, now, 'done', null);
  if (s.passDone + s.passSkipped === 0) {
    const ids = s.failedIds.length ? ` (ids ${s.failedIds.join(', ')})` : '';
    return end(
      s,
      now,
      'failed',
      `${remaining} row(s) could not be re-encrypted${ids}; every row is still readable under its own key. Check them on /admin/credentials, then start again.`,
    );
  }
  if (s.pass >= s.options.maxPasses) {
    return end(
      s,
      now,
      'failed',
      `${remaining} row(s) were still not under the new key after ${s.pass} passes (they keep changing); every row is still readable. Start again when edits have settled.`,
    );
  }
  return touch(s, now, { phase: 'reencrypting', cursor: 0, pass: s.pass + 1, passDone: 0, passSkipped: 0 });
}

/** An operator asked to stop: takes effect between batches. */
export function aborted(s: RotationState, now: number, actor: string): RotationState {
  if (!isActive(s)) return s;
  const where =
    s.phase === 'reencrypting' || s.phase === 'checking'
      ? `after ${s.done} of ${s.total} rows were re-encrypted; every row stays readable because its key_id names the key that opens it`
      : 'before anything was written';
  return end(s, now, 'aborted', `Aborted by ${actor} ${where}.`);
}

/** The ring's current key is no longer the one this rotation writes under. */
export function keyChanged(s: RotationState, now: number, ringKeyId: string): RotationState {
  return end(
    s,
    now,
    'failed',
    `CREDENTIAL_ENCRYPTION_KEY changed during the rotation (now ${ringKeyId}, the rotation targets ${s.currentKeyId}). Every row is still readable while the ring holds its key; start the rotation again.`,
  );
}

/** Lock released (and audit written): the rotation is over for good. */
export function finalized(s: RotationState, now: number): RotationState {
  return { ...s, finalized: true, unlockedAt: s.lockedAt !== null ? (s.unlockedAt ?? now) : null, updatedAt: now, attempts: 0, lastError: s.lastError };
}

/** Backoff before retrying a step that threw, in ms (capped). */
export function retryDelayMs(attempts: number): number {
  return Math.min(60_000, 500 * 2 ** Math.max(0, attempts - 1));
}

/**
 * A step threw. Active phases retry from the checkpoint up to `maxAttempts`,
 * then fail; finalizing retries forever, because the lock must be released.
 */
export function stepFailed(s: RotationState, now: number, message: string): RotationState {
  const attempts = s.attempts + 1;
  if (isActive(s) && attempts >= s.options.maxAttempts) {
    return {
      ...end(s, now, 'failed', `The ${s.phase} step failed ${attempts} times in a row: ${message}. Every row is still readable; start the rotation again.`),
      lastError: message,
      pending: s.pending,
    };
  }
  return { ...s, attempts, lastError: message, updatedAt: now };
}

/** How long collection was (or has been) locked, in ms. */
export function lockedMs(s: RotationState, now: number): number {
  if (s.lockedAt === null) return 0;
  return (s.unlockedAt ?? now) - s.lockedAt;
}
