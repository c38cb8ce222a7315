/**
 * The CredentialPool's ports to D1 and its test seams, behind hooks that
 * production never installs (as src/rotation/faults.ts does for the rotation):
 * - `copySource(db)`: what the object reads from and writes back to D1
 *   (pool/d1-source.ts, and the deactivation after three auth failures, with
 *   its audit event through the one audit writer). A test wraps it with `setCopySourceHook`, e.g. to
 *   make every version read fail, without touching D1 itself;
 * - `poolPause(point)`: awaited at named points inside a request, so a test
 *   can make another request land exactly there (e.g. an admin revokes the
 *   key while an acquire is decrypting). Without a hook it is a no-op that
 *   awaits nothing.
 * Both are read at each use, so a hook installed or removed applies to the
 * running object at once.
 */
import type { CopyStore, Outbox } from './copy-store.ts';
import { readVersion, syncCopy, writeUsage, type SyncResult } from './d1-source.ts';
import { deactivateCredentialStatement } from '../credentials/repository.ts';
import { auditD1Statement } from '../audit/audit.ts';
import { AUTH_FAILURES_BEFORE_DEACTIVATION } from './lease-rules.ts';

/** Where the pool's copy comes from and what the object writes back to D1. */
export interface CopySource {
  /** Re-reads D1 into the copy, page by page (d1-source.ts syncCopy). */
  syncCopy(copy: CopyStore, now: number): Promise<SyncResult>;
  readVersion(): Promise<number>;
  /** Writes the usage and answers D1's version, in one batch. */
  writeUsage(out: Outbox): Promise<number>;
  /** The third auth failure in a row: the credential deactivated, with its audit event, in one batch. */
  deactivateCredential(credentialId: number, reportedBy: string, now: number): Promise<void>;
}

export type CopySourceHook = (source: CopySource) => CopySource;

/**
 * Points inside the pool where a test may hold a request, or only observe that
 * it got there: `acquire.decrypted` (awaited: a hook may hold it),
 * `sync.requested` (a write's sync is queued; never awaited).
 */
export type PausePoint = 'acquire.decrypted' | 'sync.requested';
export type PauseHook = (point: PausePoint) => Promise<void> | void;

let sourceHook: CopySourceHook | null = null;
let pauseHook: PauseHook | null = null;

/** Tests only: wraps (or, with null, stops wrapping) the D1 source of every pool object in this isolate. */
export function setCopySourceHook(hook: CopySourceHook | null): void {
  sourceHook = hook;
}

/** Tests only: holds requests at pause points (null removes it). */
export function setPauseHook(hook: PauseHook | null): void {
  pauseHook = hook;
}

/** The pool's D1 source: the real one, or what a test's hook made of it. */
export function copySource(db: D1Database): CopySource {
  const real: CopySource = {
    syncCopy: (copy, now) => syncCopy(db, copy, now),
    readVersion: () => readVersion(db),
    writeUsage: (out) => writeUsage(db, out),
    deactivateCredential: async (credentialId, reportedBy, now) => {
      await db.batch([
        deactivateCredentialStatement(db, credentialId, now),
        auditD1Statement(db, {
          at: now,
          actor: 'pool',
          action: 'credential.deactivate',
          target: `credential:${credentialId}`,
          detail: { reason: 'auth_failed', consecutive_auth_failures: AUTH_FAILURES_BEFORE_DEACTIVATION, reported_by: reportedBy },
        }),
      ]);
    },
  };
  return sourceHook ? sourceHook(real) : real;
}

/** What to await at `point`: a test's hold, or null (production: always null, so nothing is awaited). */
export function pauseAt(point: PausePoint): Promise<void> | null {
  return pauseHook ? Promise.resolve(pauseHook(point)) : null;
}
