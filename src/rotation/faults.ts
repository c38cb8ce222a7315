/**
 * Failure injection for tests of the rotation. A test plans faults by writing
 * a list under FAULTS_KEY in the KeyRotation object's storage (through
 * `runInDurableObject`); each fires once (or `times` times) when the engine
 * reaches its point. No route, script or production code path ever writes
 * this key, so in production the hook only finds it empty.
 */
import type { FaultPoint } from './engine.ts';
import type { RotationState } from './state-machine.ts';

export const FAULTS_KEY = 'test:faults';
/** Set by a 'pause' fault while it waits; a test sets RESUME_KEY to let it go on. */
export const PAUSED_KEY = 'test:paused';
export const RESUME_KEY = 'test:resume';
/** A pause longer than this gives up (throws), so a broken test cannot hang the object. */
export const MAX_PAUSE_MS = 20_000;

export interface PlannedFault {
  point: FaultPoint;
  /**
   * 'throw': the step throws (handled, retried). 'crash': the invocation dies
   * unhandled. 'pause': the step waits there until the test sets RESUME_KEY
   * (to make an edit land between reading a batch and committing it).
   */
  kind: 'throw' | 'crash' | 'pause';
  /** Only in this re-encryption batch (1 = the first batch committed in the run). */
  batch?: number;
  /** How many times it fires; default once. */
  times?: number;
}

/** Thrown for a planned 'crash': the object lets it escape without saving anything. */
export class SimulatedCrash extends Error {
  constructor(point: FaultPoint) {
    super(`simulated crash at ${point} (test)`);
    this.name = 'SimulatedCrash';
  }
}

function matches(f: PlannedFault, point: FaultPoint, s: RotationState): boolean {
  return f.point === point && (f.batch === undefined || f.batch === s.batches + 1);
}

/** The fault to fire at this point, if any, and the plan that remains. */
export function takeFault(planned: PlannedFault[], point: FaultPoint, s: RotationState): { fire?: PlannedFault; rest: PlannedFault[] } {
  const i = planned.findIndex((f) => matches(f, point, s));
  if (i < 0) return { rest: planned };
  const fire = planned[i]!;
  const times = (fire.times ?? 1) - 1;
  const rest = planned.flatMap((f, j) => (j !== i ? [f] : times > 0 ? [{ ...f, times }] : []));
  return { fire, rest };
}
