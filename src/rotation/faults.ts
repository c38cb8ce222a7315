/**
 * Failure injection for tests of the rotation, behind a hook that production
 * never installs: the KeyRotation object asks `rotationFaultHook()` once per
 * invocation and, finding none, gives the engine no fault port at all — so a
 * production step pays nothing (no storage read, no call). Tests install one
 * with `setRotationFaultHook` (test/rotation/fault-hook.ts: a plan of
 * `PlannedFault`s kept in the object's storage, so it survives crashes and
 * evictions; each fires once, or `times` times, when the engine reaches its
 * point).
 */
import type { FaultPoint } from './engine.ts';
import type { RotationState } from './state-machine.ts';

/** Called at every fault point of a step; may throw, throw `SimulatedCrash`, or wait. */
type RotationFaultHook = (storage: DurableObjectStorage, point: FaultPoint, state: RotationState) => Promise<void>;

let installed: RotationFaultHook | null = null;

/** Tests only: installs (or, with null, removes) the fault hook for every KeyRotation object in this isolate. */
export function setRotationFaultHook(hook: RotationFaultHook | null): void {
  installed = hook;
}

/** The installed hook; null in production. */
export function rotationFaultHook(): RotationFaultHook | null {
  return installed;
}

/** Thrown for a planned 'crash': the object lets it escape without saving anything. */
export class SimulatedCrash extends Error {
  constructor(point: FaultPoint) {
    super(`simulated crash at ${point} (test)`);
    this.name = 'SimulatedCrash';
  }
}
