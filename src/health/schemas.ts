/**
 * The answers of the two health checks (GET /api/arenas/health and
 * GET /api/health), as schemas for the OpenAPI document and, inferred from
 * them, the types arenas.ts builds. Counts, statuses and key ids only: never a key, never a credential.
 */
import * as v from 'valibot';
import { ARENA_IDS, TIERS } from '../arenas/registry.ts';
import { IsoTimestamp } from '../schema/types.ts';
import { KeyUsageSchema } from '../credentials/key-usage.ts';

const Overall = v.picklist(['ok', 'degraded', 'error']);

const ArenaTierHealthSchema = v.object({
  arena: v.picklist(ARENA_IDS),
  label: v.string(),
  tier: v.picklist(TIERS),
  platforms: v.array(v.string()),
  status: v.picklist(['ok', 'degraded', 'error', 'no_credentials_needed']),
  in_use: v.boolean(),
  locked: v.boolean(),
  credentials: v.object({
    total: v.number(),
    active: v.number(),
    usable_now: v.number(),
    cooling_down: v.number(),
    leased: v.number(),
    current_key: v.number(),
    previous_key: v.number(),
    undecryptable: v.number(),
  }),
  undecryptable_ids: v.pipe(v.optional(v.array(v.number())), v.description('Signed-in callers only.')),
});

/** One arena tier's health (arenas.ts builds it; the type is the schema's). */
export type ArenaTierHealth = v.InferOutput<typeof ArenaTierHealthSchema>;
export type ArenaStatus = ArenaTierHealth['status'];
export type CredentialCounts = ArenaTierHealth['credentials'];
export type OverallStatus = v.InferOutput<typeof Overall>;

const FailedRowSchema = v.object({ id: v.number(), platform: v.string(), tier: v.string(), key_id: v.string(), reason: v.string() });

/** The pool's lock as the pool reports it (times in Unix ms). */
const PoolLockSchema = v.object({
  locked: v.boolean(),
  holder: v.nullable(v.string()),
  since: v.nullable(v.number()),
  outstandingLeases: v.number(),
  latestLeaseExpiry: v.nullable(v.number()),
});

export const ArenaHealthSchema = v.object({
  overall: Overall,
  locked: v.nullable(v.boolean()),
  pool_reachable: v.boolean(),
  checked_at: IsoTimestamp,
  decrypt_check: v.picklist(['sample', 'deep']),
  arenas: v.array(ArenaTierHealthSchema),
  keys: v.pipe(
    v.optional(
      v.object({
        current_key_id: v.string(),
        previous_key_ids: v.array(v.string()),
        rows_by_key: v.array(KeyUsageSchema),
        missing_key_ids: v.array(v.string()),
      }),
    ),
    v.description('Signed-in callers only, as are `lock` and `decrypt`.'),
  ),
  lock: v.optional(v.nullable(PoolLockSchema)),
  decrypt: v.optional(v.object({ mode: v.picklist(['sample', 'deep']), checked: v.number(), failed: v.array(FailedRowSchema), ms: v.number() })),
});

const BindingSchema = v.object({ valid: v.boolean(), set: v.boolean(), problem: v.optional(v.string()), fix: v.optional(v.string()) });

export const HealthSchema = v.object({
  status: Overall,
  config: v.object({ valid: v.boolean(), bindings: v.record(v.string(), BindingSchema) }),
  d1: v.object({ reachable: v.boolean(), error: v.optional(v.string()) }),
  keys: v.nullable(
    v.object({
      credential_key: v.object({ current_key_id: v.string(), previous_key_ids: v.array(v.string()) }),
      secret_key: v.object({
        current_kid: v.string(),
        previous_kids: v.array(v.string()),
        verification_keys: v.number(),
        previous_key_removable_after: v.nullable(IsoTimestamp),
        previous_key_removable_now: v.nullable(v.boolean()),
        previous_key_removal_basis: v.picklist(['no_previous_key', 'recorded_token_expiry', 'current_key_first_use', 'unknown', 'unavailable']),
      }),
    }),
  ),
  credential_rows: v.nullable(
    v.object({
      total: v.number(),
      by_key: v.array(KeyUsageSchema),
      previous_keys_needed: v.object({ needed: v.boolean(), rows: v.number(), key_ids: v.array(v.string()) }),
      missing_keys: v.array(v.object({ key_id: v.string(), rows: v.number() })),
    }),
  ),
  collection_lock: v.nullable(v.object({ locked: v.boolean(), since: v.nullable(IsoTimestamp), outstanding_leases: v.number() })),
});
