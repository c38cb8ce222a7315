/**
 * KeyRotation Durable Object: the adapter that runs the rotation state
 * machine (state-machine.ts) through the engine (engine.ts) with D1, the
 * pool's collection lock and Durable Object storage. There is one object,
 * named ROTATION_OBJECT_NAME ("credential-key").
 *
 * The state is checkpointed to storage after every step (every batch); an
 * alarm drives the next step, so a crash, eviction, redeploy or thrown error
 * resumes from the last checkpoint. Alarms may fire more than once; every
 * step is idempotent (see engine.ts). Keys come from this.env, as in
 * production, read again at every step.
 *
 * RPC methods (called by service.ts, each through `inContext` with the
 * caller's log context, kernel/log.ts): start, status, abort.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';
import { loadConfig } from '../config.ts';
import { openDb } from '../db/client.ts';
import { recordAudit, recordAuditOnce } from '../audit/audit.ts';
import { isVaultError, reviveVaultError } from '../errors.ts';
import { pool as poolClient } from '../pool/client.ts';
import { bumpCopyVersion } from '../pool/d1-source.ts';
import { D1CredentialRows } from './d1-rows.ts';
import { AUDIT_ACTIONS, runStep, type RotationPorts } from './engine.ts';
import {
  aborted,
  isActive,
  isWaitingForLeases,
  needsWork,
  newRotation,
  nextAction,
  resolveOptions,
  retryDelayMs,
  stepFailed,
  type RotationState,
} from './state-machine.ts';
import { safeErrorMessage, toRotationStatus, type RotationStatus } from './status.ts';
import { rotationFaultHook, SimulatedCrash } from './faults.ts';
import { alarmLogContext, callInLogContext, errorName, log, withLogContext, type LogContext } from '../kernel/log.ts';

const ROTATION_OBJECT_NAME = 'credential-key';
/** The pool lock holder name; the same for every run, so a replayed lock is idempotent. */
export const LOCK_HOLDER = 'key-rotation';

const STATE_KEY = 'state';
const ABORT_KEY = 'abort';
/** Work per alarm invocation before handing over to the next alarm. */
const ALARM_BUDGET_MS = 5_000;
/** D1 statements per invocation we allow ourselves (D1 allows 1,000 on paid plans). */
const ALARM_STATEMENT_BUDGET = 900;
/** When the watchdog alarm fires if an invocation dies without setting the next one. */
const WATCHDOG_MS = 30_000;

export interface StartInput {
  actor: string;
  batchSize?: number;
  drainTimeoutSeconds?: number;
}

interface StartResult {
  result: 'started' | 'nothing_to_do' | 'in_progress';
  status: RotationStatus;
}

type AbortResult = { result: 'abort_requested' | 'not_running'; status: RotationStatus };

export const ROTATION_RPC_METHODS = ['start', 'status', 'abort'] as const satisfies readonly (keyof KeyRotation)[];
export type RotationRpcMethod = (typeof ROTATION_RPC_METHODS)[number];
const RPC_METHODS: ReadonlySet<string> = new Set(ROTATION_RPC_METHODS);

export function rotationStub(env: Pick<Env, 'ROTATION'>): DurableObjectStub<KeyRotation> {
  return env.ROTATION.get(env.ROTATION.idFromName(ROTATION_OBJECT_NAME));
}

export class KeyRotation extends DurableObject<Env> {
  /**
   * True while a step loop runs. A second alarm meanwhile (a replay, or a test
   * running the alarm by hand) returns at once: the running loop schedules the
   * next alarm itself. Two loops must never interleave their batches.
   */
  #running = false;
  /** The step running now wrote a checkpoint (see #runSteps). */
  #checkpointed = false;

  async #load(): Promise<RotationState | null> {
    return (await this.ctx.storage.get<RotationState>(STATE_KEY)) ?? null;
  }

  async #save(s: RotationState): Promise<void> {
    await this.ctx.storage.put(STATE_KEY, s);
  }

  async #statusOf(s: RotationState | null): Promise<RotationStatus> {
    const config = await loadConfig(this.env);
    const abort = await this.ctx.storage.get<{ runId: string }>(ABORT_KEY);
    return toRotationStatus(s, {
      now: Date.now(),
      currentKeyId: config.credentialKeys.currentKeyId,
      previousKeyIds: config.credentialKeys.previousKeyIds,
      abortRequested: Boolean(s && abort?.runId === s.runId && isActive(s)),
    });
  }

  async start(input: StartInput): Promise<StartResult> {
    const options = resolveOptions(input);
    const config = await loadConfig(this.env);
    const ring = config.credentialKeys;
    const existing = await this.#load();
    if (needsWork(existing)) {
      await this.#ensureAlarm();
      return { result: 'in_progress', status: await this.#statusOf(existing) };
    }
    const remaining = await new D1CredentialRows(this.env.DB).countNotUnder(ring.currentKeyId);
    // A second check: a concurrent start may have begun while we counted.
    const again = await this.#load();
    if (needsWork(again)) return { result: 'in_progress', status: await this.#statusOf(again) };
    if (remaining === 0) return { result: 'nothing_to_do', status: await this.#statusOf(existing) };

    const now = Date.now();
    const state = newRotation({
      runId: crypto.randomUUID(),
      actor: input.actor,
      now,
      currentKeyId: ring.currentKeyId,
      previousKeyIds: ring.previousKeyIds,
      options,
    });
    await this.ctx.storage.delete(ABORT_KEY);
    await this.#save(state);
    await this.ctx.storage.setAlarm(now);
    log.info('rotation.started', { run_id: state.runId, to_key_id: state.currentKeyId, rows_to_rotate: remaining });
    await recordAudit(openDb(this.env.DB), {
      actor: input.actor,
      action: AUDIT_ACTIONS.started,
      target: `rotation:${state.runId}`,
      detail: {
        run_id: state.runId,
        to_key_id: state.currentKeyId,
        from_key_ids: state.previousKeyIds,
        rows_to_rotate: remaining,
        batch_size: options.batchSize,
      },
    });
    return { result: 'started', status: await this.#statusOf(state) };
  }

  async status(): Promise<RotationStatus> {
    const s = await this.#load();
    if (needsWork(s)) await this.#ensureAlarm();
    return this.#statusOf(s);
  }

  async abort(actor: string): Promise<AbortResult> {
    const s = await this.#load();
    if (!s || !isActive(s)) return { result: 'not_running', status: await this.#statusOf(s) };
    // A separate key, so a step in flight cannot overwrite the request when it checkpoints.
    await this.ctx.storage.put(ABORT_KEY, { runId: s.runId, actor });
    await this.ctx.storage.setAlarm(Date.now());
    return { result: 'abort_requested', status: await this.#statusOf(s) };
  }

  /** Serves one of ROTATION_RPC_METHODS in the caller's log context: what the object logs meanwhile carries its request id. */
  async inContext(ctx: LogContext | null, method: RotationRpcMethod, args: unknown[]): Promise<unknown> {
    return callInLogContext(this, RPC_METHODS, ctx, method, args);
  }

  override async alarm(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      await withLogContext(alarmLogContext(), () => this.#runSteps());
    } finally {
      this.#running = false;
    }
  }

  /** If work is pending but no alarm is set (should not happen), set one. */
  async #ensureAlarm(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now());
  }

  async #runSteps(): Promise<void> {
    let state = await this.#load();
    if (!state || !needsWork(state)) return;
    // A watchdog: if this invocation dies mid-step (crash, CPU limit, deploy),
    // this alarm resumes from the last checkpoint. Replaced before we return.
    await this.ctx.storage.setAlarm(Date.now() + WATCHDOG_MS);
    const began = Date.now();
    let statements = 0;
    const ports = this.#ports();
    // A batch checkpoints its pending state before its commit; the state after
    // the commit is saved only when the loop stops, or before a step that does
    // not checkpoint: a restart from the pending checkpoint reconciles the
    // batch (engine.ts), so one storage write per batch suffices.
    let unsaved = false;
    while (needsWork(state)) {
      const abort = await this.ctx.storage.get<{ runId: string; actor: string }>(ABORT_KEY);
      if (abort?.runId === state.runId && isActive(state)) {
        state = aborted(state, Date.now(), abort.actor);
        await this.#save(state);
      }
      const action = nextAction(state);
      // D1 statements this step may run: a page read, then the switch, the compare-and-set and the switch.
      const cost = action.kind === 'reencrypt-batch' ? 4 : 2;
      if (statements > 0 && (statements + cost > ALARM_STATEMENT_BUDGET || Date.now() - began > ALARM_BUDGET_MS)) {
        if (unsaved) await this.#save(state);
        await this.ctx.storage.setAlarm(Date.now());
        return;
      }
      statements += cost;
      this.#checkpointed = false;
      try {
        state = await runStep(state, ports, action);
      } catch (e) {
        if (e instanceof SimulatedCrash) throw e;
        // A checkpoint the failed step wrote is the truth (it holds a pending batch); else the state it began with.
        state = this.#failedStep(this.#checkpointed ? ((await this.#load()) ?? state) : state, e);
        await this.#save(state);
        if (needsWork(state)) await this.ctx.storage.setAlarm(Date.now() + retryDelayMs(state.attempts));
        return;
      }
      unsaved = action.kind === 'reencrypt-batch' && this.#checkpointed && nextAction(state).kind === 'reencrypt-batch';
      if (!unsaved) await this.#save(state);
      if (isWaitingForLeases(state)) {
        await this.ctx.storage.setAlarm(Math.min(Date.now() + state.options.drainPollMs, state.drainDeadline ?? Infinity));
        return;
      }
    }
    await this.ctx.storage.deleteAlarm();
  }

  #failedStep(state: RotationState, e: unknown): RotationState {
    const err = reviveVaultError(e);
    const now = Date.now();
    // Another holder has the collection lock: retrying will not help.
    if (isVaultError(err) && err.code === 'CONFLICT' && state.phase === 'locking') {
      return stepFailed({ ...state, attempts: state.options.maxAttempts - 1 }, now, 'the collection lock is held by another holder');
    }
    const message = safeErrorMessage(err);
    log.warn('rotation.step_failed', { run_id: state.runId, phase: state.phase, attempt: state.attempts + 1, error: message });
    return stepFailed(state, now, message);
  }

  #ports(): RotationPorts {
    const env = this.env;
    const storage = this.ctx.storage;
    const pool = poolClient(env);
    const db = openDb(env.DB);
    const faultHook = rotationFaultHook();
    return {
      rows: new D1CredentialRows(env.DB),
      lock: {
        lock: async () => (await pool.lock(LOCK_HOLDER)).outstandingLeases,
        outstandingLeases: async () => (await pool.lockStatus()).outstandingLeases,
        // Each committed batch goes to the pool's copy (its rewrites keep the copy's version: d1-rows.ts),
        // so the unlock needs no re-read, unless the copy may have missed one.
        copyRotated: async (batch) => {
          try {
            return await pool.copyRotated(LOCK_HOLDER, batch);
          } catch (e) {
            log.warn('rotation.copy_handover_failed', { rows: batch.count, code: errorName(e) });
            return false;
          }
        },
        unlock: async (copyStale) => {
          if (copyStale) await bumpCopyVersion(env.DB);
          await pool.unlock(LOCK_HOLDER);
        },
      },
      audit: {
        recordOnce: (runId, action, actor, detail) => recordAuditOnce(db, { actor, action, target: `rotation:${runId}`, detail }),
      },
      checkpoint: (s) => {
        this.#checkpointed = true;
        return this.#save(s);
      },
      ring: async () => (await loadConfig(env)).credentialKeys,
      now: () => Date.now(),
      // Tests only (faults.ts); in production no hook is installed and the engine has no fault port.
      ...(faultHook ? { fault: (point, s) => faultHook(storage, point, s) } : {}),
    };
  }
}
