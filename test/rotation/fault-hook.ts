/**
 * The rotation suites' fault hook (src/rotation/faults.ts): a test plans
 * faults by writing a list under FAULTS_KEY in the KeyRotation object's
 * storage (`planFaults` in support.ts); each fires once (or `times` times)
 * when the engine reaches its point. The plan lives in storage, so it
 * survives a simulated crash or an eviction. Installed by support.ts; the
 * Worker itself never installs a hook.
 */
import type { FaultPoint } from '../../src/rotation/engine.ts';
import { setRotationFaultHook, SimulatedCrash } from '../../src/rotation/faults.ts';
import type { RotationState } from '../../src/rotation/state-machine.ts';

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

function matches(f: PlannedFault, point: FaultPoint, s: RotationState): boolean {
  return f.point === point && (f.batch === undefined || f.batch === s.batches + 1);
}

/** The fault to fire at this point, if any, and the plan that remains. */
function takeFault(planned: PlannedFault[], point: FaultPoint, s: RotationState): { fire?: PlannedFault; rest: PlannedFault[] } {
  const i = planned.findIndex((f) => matches(f, point, s));
  if (i < 0) return { rest: planned };
  const fire = planned[i]!;
  const times = (fire.times ?? 1) - 1;
  const rest = planned.flatMap((f, j) => (j !== i ? [f] : times > 0 ? [{ ...f, times }] : []));
  return { fire, rest };
}

export const FAULTS_KEY = 'test:faults';
/** Set by a 'pause' fault while it waits; a test sets RESUME_KEY to let it go on. */
export const PAUSED_KEY = 'test:paused';
export const RESUME_KEY = 'test:resume';
/** A pause longer than this gives up (throws), so a broken test cannot hang the object. */
export const MAX_PAUSE_MS = 20_000;

export function installPlannedFaults(): void {
  setRotationFaultHook(async (storage, point, s) => {
    const planned = await storage.get<PlannedFault[]>(FAULTS_KEY);
    if (!planned?.length) return;
    const { fire, rest } = takeFault(planned, point, s);
    if (!fire) return;
    await storage.put(FAULTS_KEY, rest);
    if (fire.kind === 'pause') {
      await storage.put(PAUSED_KEY, true);
      const until = Date.now() + MAX_PAUSE_MS;
      while (!(await storage.get(RESUME_KEY))) {
        if (Date.now() > until) throw new Error(`injected pause at ${point} was never resumed (test)`);
        await new Promise((r) => setTimeout(r, 10));
      }
      await storage.delete([PAUSED_KEY, RESUME_KEY]);
      return;
    }
    // 'crash': nothing after this point runs, not even the error handling.
    if (fire.kind === 'crash') throw new SimulatedCrash(point);
    throw new Error(`injected failure at ${point} (test)`);
  });
}
