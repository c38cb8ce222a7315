/**
 * Lost-key recovery, the pure part: the purge request as a schema (scope and
 * the typed confirmation phrase, for the API and the page's form alike),
 * working out which arenas a purge takes away from which query designs, and
 * which recorded arenas a re-enable can restore. The seed's procedure was "TRUNCATE api_credentials, then re-enable
 * affected arenas by hand"; here only unrecoverable rows go, and the vault
 * remembers exactly what it switched off.
 */
import * as v from 'valibot';
import { strict } from '../schema/types.ts';
import { arenasToDisable, readStoredArenasConfig, type DisabledArena } from '../arenas/arenas-config.ts';

export const PURGE_CONFIRMATION = 'PURGE UNRECOVERABLE CREDENTIALS';
const MAX_PURGE_KEY_IDS = 50;

/** `all`: every row that cannot be read (key missing, or does not decrypt under its key); `key_ids`: rows under those missing keys. */
export type PurgeScope = { kind: 'all' } | { kind: 'key_ids'; keyIds: string[] };

const KEY_IDS_MESSAGE = `must be a list of 1–${MAX_PURGE_KEY_IDS} key ids (16 hex characters)`;

/**
 * `{confirm, scope: "all"}` or `{confirm, key_ids: [...]}` (scope may then
 * say "key_ids"), as the PurgeScope the store takes.
 */
export const PurgeBody = v.pipe(
  strict({
    confirm: v.literal(PURGE_CONFIRMATION, `must be the confirmation phrase, typed exactly: ${PURGE_CONFIRMATION}`),
    scope: v.optional(v.picklist(['all', 'key_ids'])),
    key_ids: v.optional(
      v.pipe(
        v.array(v.pipe(v.string(KEY_IDS_MESSAGE), v.regex(/^[0-9a-f]{16}$/, KEY_IDS_MESSAGE)), KEY_IDS_MESSAGE),
        v.minLength(1, KEY_IDS_MESSAGE),
        v.maxLength(MAX_PURGE_KEY_IDS, KEY_IDS_MESSAGE),
      ),
    ),
  }),
  v.forward(
    v.partialCheck(
      [['scope'], ['key_ids']],
      (b) => (b.key_ids === undefined ? b.scope === 'all' : b.scope !== 'all'),
      (issue) =>
        (issue.input as { key_ids?: unknown }).key_ids === undefined ? 'say scope all, or list key_ids' : 'give either scope all or key_ids, not both',
    ),
    ['scope'],
  ),
  v.transform((b): PurgeScope => (b.key_ids === undefined ? { kind: 'all' } : { kind: 'key_ids', keyIds: [...new Set(b.key_ids)] })),
);

/**
 * The purge form: a radio `scope` (`all`, or `key:<key id>` for one missing
 * key) and the typed phrase, read as the same PurgeBody.
 */
export const PurgeForm = v.pipe(
  strict({ scope: v.optional(v.string()), confirm: v.optional(v.string()) }),
  v.transform((f): unknown => {
    const scope = f.scope ?? '';
    return { confirm: (f.confirm ?? '').trim(), ...(scope.startsWith('key:') ? { key_ids: [scope.slice(4)] } : { scope }) };
  }),
  // The same body schema, fed the form's translation (any input, so typed loosely here).
  PurgeBody as unknown as v.GenericSchema<unknown, PurgeScope>,
);

export interface CredentialFacts {
  id: number;
  platform: string;
  tier: string;
  key_id: string;
  is_active: number | boolean;
}

/**
 * `platform:tier` pairs that lose their last usable credential when
 * `purged` rows go: no remaining row of that pair is active and readable.
 */
export function lostPlatformTiers(all: readonly CredentialFacts[], purged: ReadonlySet<number>, readable: (row: CredentialFacts) => boolean): Set<string> {
  const hit = new Set<string>();
  const kept = new Set<string>();
  for (const r of all) {
    const pair = `${r.platform}:${r.tier}`;
    if (purged.has(r.id)) hit.add(pair);
    else if (r.is_active && readable(r)) kept.add(pair);
  }
  return new Set([...hit].filter((p) => !kept.has(p)));
}

/** Every enabled arena entry, in every design, that draws on a lost pair. */
export function arenasDisabledBy(designs: readonly { id: number; arenas_config: string }[], lost: ReadonlySet<string>): DisabledArena[] {
  return designs.flatMap((d) => arenasToDisable(d.id, readStoredArenasConfig(d.arenas_config), lost));
}

/** Where a recorded entry sits now in a stored config, and whether it is still disabled (so re-enabling is ours to do). */
export function locateArena(storedConfig: string, arena: string, tier: string): { index: number; enabled: boolean } | null {
  const config = readStoredArenasConfig(storedConfig);
  const index = config.arenas.findIndex((a) => a.id === arena && a.tier === tier);
  return index < 0 ? null : { index, enabled: config.arenas[index]!.enabled };
}
