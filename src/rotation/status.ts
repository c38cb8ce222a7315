/**
 * The public shape of a rotation (REST, page, script), built from the stored
 * state and the key ring now in use. Counts, times and key ids only: never a
 * key, never a credential.
 */
import { isVaultError } from '../errors.ts';
import { lockedMs, type Phase, type RotationState } from './state-machine.ts';
import { iso } from '../db/timestamps.ts';

export interface RotationStatus {
  /** 'idle' when no rotation ever ran. */
  phase: Phase;
  run_id: string | null;
  /** Rows that needed re-encryption when verification finished. */
  total: number;
  done: number;
  skipped: number;
  failed: number;
  /** Rows verification has decrypted so far. */
  verified: number;
  pass: number;
  batches: number;
  batch_size: number | null;
  started_at: string | null;
  updated_at: string | null;
  finished_at: string | null;
  /** The key the rotation writes under (its target), else the ring's current key. */
  current_key_id: string;
  previous_key_ids: string[];
  /** The ring as configured right now (differs from the above only if it changed). */
  ring: { current_key_id: string; previous_key_ids: string[] };
  /** Collection is locked by this rotation right now. */
  locked: boolean;
  locked_ms: number;
  outstanding_leases: number | null;
  abort_requested: boolean;
  last_error: string | null;
  /** Why it failed or was aborted, and what to do. */
  reason: string | null;
  undecryptable_ids: number[];
  failed_ids: number[];
  /** The operator's next step, in words. */
  next_step: string;
}

function nextStep(s: RotationState | null): string {
  if (!s) return 'Put the new key in CREDENTIAL_ENCRYPTION_KEY and the old one in CREDENTIAL_ENCRYPTION_KEY_PREVIOUS, then start the rotation.';
  switch (s.phase) {
    case 'done':
      return 'Every row is under the new key. Check GET /api/arenas/health, then you may now delete CREDENTIAL_ENCRYPTION_KEY_PREVIOUS.';
    case 'failed':
      return 'Keep CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: some rows still need it. Fix the reason above, then start the rotation again.';
    case 'aborted':
      return 'Keep CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: some rows still need it. Start the rotation again when ready.';
    default:
      return 'Wait: collection is paused until the rotation ends. Keep both keys in place.';
  }
}

export function toRotationStatus(
  s: RotationState | null,
  ctx: { now: number; currentKeyId: string; previousKeyIds: string[]; abortRequested: boolean },
): RotationStatus {
  const ring = { current_key_id: ctx.currentKeyId, previous_key_ids: ctx.previousKeyIds };
  return {
    phase: s?.phase ?? 'idle',
    run_id: s?.runId ?? null,
    total: s?.total ?? 0,
    done: s?.done ?? 0,
    skipped: s?.skipped ?? 0,
    failed: s?.failed ?? 0,
    verified: s?.verified ?? 0,
    pass: s?.pass ?? 0,
    batches: s?.batches ?? 0,
    batch_size: s?.options.batchSize ?? null,
    started_at: iso(s?.startedAt),
    updated_at: iso(s?.updatedAt),
    finished_at: iso(s?.finishedAt),
    current_key_id: s?.currentKeyId ?? ctx.currentKeyId,
    previous_key_ids: s?.previousKeyIds ?? ctx.previousKeyIds,
    ring,
    locked: Boolean(s && s.lockedAt !== null && !s.finalized),
    locked_ms: s ? lockedMs(s, ctx.now) : 0,
    outstanding_leases: s?.outstandingLeases ?? null,
    abort_requested: ctx.abortRequested,
    last_error: s?.lastError ?? null,
    reason: s?.reason ?? null,
    undecryptable_ids: s?.undecryptableIds ?? [],
    failed_ids: s?.failedIds ?? [],
    next_step: nextStep(s),
  };
}

const FERNET_TOKEN = /gAAAAA[A-Za-z0-9_=-]{20,}/g;

/** A one-line error description safe to store and show (no stack, no token-looking text). */
export function safeErrorMessage(e: unknown): string {
  if (isVaultError(e)) return `${e.code}: ${e.message}`;
  const raw = e instanceof Error ? `${e.name}: ${e.message}` : 'unknown error';
  return raw.split('\n')[0]!.replace(FERNET_TOKEN, '[token]').slice(0, 300);
}
