/**
 * Recovery's answers, as schemas for the OpenAPI document and, inferred from
 * them, the types the store (store.ts) returns: one declaration of each.
 */
import * as v from 'valibot';
import { IsoTimestamp } from '../schema/types.ts';
import { ARENA_IDS, TIERS } from '../arenas/registry.ts';
import type { DisabledArena } from '../arenas/arenas-config.ts';
import { KeyUsageSchema } from '../credentials/key-usage.ts';
import type { Assert, Same } from '../kernel/types.ts';

const DisabledArenaSchema = v.object({ query_design_id: v.number(), arena: v.picklist(ARENA_IDS), tier: v.picklist(TIERS) });
const ActionSchema = v.object({
  id: v.number(),
  at: IsoTimestamp,
  actor: v.string(),
  key_ids: v.array(v.string()),
  purged_count: v.number(),
  disabled_arenas: v.array(DisabledArenaSchema),
  reenabled_at: v.nullable(IsoTimestamp),
});
export const RecoveryStatusSchema = v.object({
  current_key_id: v.string(),
  previous_key_ids: v.array(v.string()),
  keys: v.array(KeyUsageSchema),
  missing_keys: v.array(
    v.object({ key_id: v.string(), rows: v.number(), by_platform: v.array(v.object({ platform: v.string(), tier: v.string(), rows: v.number() })) }),
  ),
  /** What purging every missing-key row would disable now (rows that fail decryption under a present key are found by the purge itself). */
  purge_preview: v.object({ rows: v.number(), disabled_arenas: v.array(DisabledArenaSchema) }),
  actions: v.array(ActionSchema),
});
export const PurgedSchema = v.object({ action: ActionSchema, purged_ids: v.array(v.number()) });
export const ReenabledSchema = v.object({
  action: ActionSchema,
  reenabled: v.array(DisabledArenaSchema),
  skipped: v.array(v.object({ ...DisabledArenaSchema.entries, why: v.string() })),
  still_without_credentials: v.array(DisabledArenaSchema),
});

export type RecoveryStatus = v.InferOutput<typeof RecoveryStatusSchema>;
export type MissingKey = RecoveryStatus['missing_keys'][number];
export type RecoveryActionView = v.InferOutput<typeof ActionSchema>;
export type Purged = v.InferOutput<typeof PurgedSchema>;
export type Reenabled = v.InferOutput<typeof ReenabledSchema>;
/** A disabled entry is what arenas-config.ts records. */
export type DisabledArenaIsTheConfigs = Assert<Same<v.InferOutput<typeof DisabledArenaSchema>, DisabledArena>>;
