/**
 * The rotation REST surface as schemas: the optional start options (checked
 * here, at the edge, within D1's limits; the KeyRotation object trusts them),
 * the page's forms, and the status every route answers.
 *
 * @example
 *   api.post('/', json(StartRotationBody, { emptyIsObject: true }), handler);
 */
import * as v from 'valibot';
import { confirmed, intRange, IsoTimestamp, strict } from '../schema/types.ts';
import { ACTIVE_PHASES, MAX_BATCH_SIZE, MAX_DRAIN_TIMEOUT_SECONDS, TERMINAL_PHASES } from './state-machine.ts';

/** `{"batch_size": 1..500, "drain_timeout_seconds": 0..3600}`, both optional; an empty body is `{}`. */
export const StartRotationBody = strict({
  batch_size: v.optional(intRange(1, MAX_BATCH_SIZE)),
  drain_timeout_seconds: v.optional(intRange(0, MAX_DRAIN_TIMEOUT_SECONDS)),
});

/** The page's start form: the ticked confirmation box. */
export const StartRotationForm = strict({
  confirm: confirmed('tick the confirmation box to start the rotation'),
});

/** The page's abort form carries nothing but its CSRF token. */
export const AbortRotationForm = strict({});

const MaybeTime = v.nullable(IsoTimestamp);

/** rotation/status.ts's RotationStatus. */
const RotationStatusSchema = v.object({
  phase: v.picklist(['idle', ...ACTIVE_PHASES, ...TERMINAL_PHASES]),
  run_id: v.nullable(v.string()),
  total: v.number(),
  done: v.number(),
  skipped: v.number(),
  failed: v.number(),
  verified: v.number(),
  pass: v.number(),
  batches: v.number(),
  batch_size: v.nullable(v.number()),
  started_at: MaybeTime,
  updated_at: MaybeTime,
  finished_at: MaybeTime,
  current_key_id: v.string(),
  previous_key_ids: v.array(v.string()),
  ring: v.object({ current_key_id: v.string(), previous_key_ids: v.array(v.string()) }),
  locked: v.boolean(),
  locked_ms: v.number(),
  outstanding_leases: v.nullable(v.number()),
  abort_requested: v.boolean(),
  last_error: v.nullable(v.string()),
  reason: v.nullable(v.string()),
  undecryptable_ids: v.array(v.number()),
  failed_ids: v.array(v.number()),
  next_step: v.string(),
});

export const RotationStartedSchema = v.object({ result: v.literal('started'), ...RotationStatusSchema.entries });
export const NothingToRotateSchema = v.object({ result: v.literal('nothing_to_do'), ...RotationStatusSchema.entries });
export const AbortRequestedSchema = v.object({ result: v.literal('abort_requested'), ...RotationStatusSchema.entries });
export const RotationStatusNowSchema = v.object({
  ...RotationStatusSchema.entries,
  rows_not_under_current_key: v.pipe(v.nullable(v.number()), v.description('null while a rotation runs (pollers ask every second).')),
});
