/**
 * The CredentialPool's ports to D1 and its test seams, behind hooks that
 * production never installs (as src/rotation/faults.ts does for the rotation):
 * - `copySource(db)`: what the object reads from and writes back to D1
 *   (pool/d1-source.ts). A test wraps it with `setCopySourceHook`, e.g. to
 *   make every version read fail, without touching D1 itself;
 * - `poolPause(point)`: awaited at named points inside a request, so a test
 *   can make another request land exactly there (e.g. an admin revokes the
 *   key while an acquire is decrypting). Without a hook it is a no-op that
 *   awaits nothing.
 * Both are read at each use, so a hook installed or removed applies to the
 * running object at once.
 */
import type { Outbox, Snapshot } from './copy-store.ts';
import { readSnapshot, readVersion, writeUsage } from './d1-source.ts';

/** Where the pool's copy comes from and its usage goes back to. */
export interface CopySource {
  readSnapshot(): Promise<Snapshot>;
  readVersion(): Promise<number>;
  /** Writes the usage and answers D1's version, in one batch. */
  writeUsage(out: Outbox): Promise<number>;
}

export type CopySourceHook = (source: CopySource) => CopySource;

/** Points inside a pool request where a test may hold it. */
export type PausePoint = 'acquire.decrypted';
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
    readSnapshot: () => readSnapshot(db),
    readVersion: () => readVersion(db),
    writeUsage: (out) => writeUsage(db, out),
  };
  return sourceHook ? sourceHook(real) : real;
}

/** What to await at `point`: a test's hold, or null (production: always null, so nothing is awaited). */
export function pauseAt(point: PausePoint): Promise<void> | null {
  return pauseHook ? Promise.resolve(pauseHook(point)) : null;
}
