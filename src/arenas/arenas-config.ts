/**
 * A query design's arena configuration, `{"arenas":[{"id","enabled","tier"}]}`,
 * as a schema against the arena registry (an unknown arena, an arena listed
 * twice or a tier the arena lacks is a 422 naming the entry), and the pure
 * edits lost-key recovery makes (disable the arenas that drew on purged
 * credentials, later re-enable exactly those). Pure; no I/O.
 *
 * @example
 *   const r = parseWith(ArenasConfigSchema, { arenas: [{ id: 'google_search', enabled: true, tier: 'medium' }] });
 */
import * as v from 'valibot';
import { ARENA_IDS, arenaTiers, isTier, platformsForArena, TIERS, type ArenaId, type Tier } from './registry.ts';
import { strict } from '../schema/types.ts';
import { parseWith } from '../schema/validate.ts';

/** The message for a tier an arena does not offer: names a tier only when it is one of the registry's, never other input. */
export function tierMessage(arena: ArenaId, tier: unknown): string {
  return `${arena} has no tier ${isTier(tier) ? tier : 'of that name'} (it has ${arenaTiers(arena).join(', ')})`;
}

/** One entry: a registry arena, on or off, at a tier that arena offers. */
const ArenaSettingSchema = v.pipe(
  strict({
    id: v.picklist(ARENA_IDS, 'must be an arena from the arena registry'),
    enabled: v.boolean('must be true or false'),
    tier: v.picklist(TIERS),
  }),
  v.forward(
    v.check(
      (e) => arenaTiers(e.id).includes(e.tier),
      (issue) => {
        const e = issue.input as { id: ArenaId; tier: Tier };
        return tierMessage(e.id, e.tier);
      },
    ),
    ['tier'],
  ),
);

/** The whole configuration: each arena at most once. */
export const ArenasConfigSchema = strict({
  arenas: v.pipe(
    v.array(ArenaSettingSchema, 'must be a list'),
    v.maxLength(ARENA_IDS.length, 'lists more arenas than exist'),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const seen = new Set<string>();
      dataset.value.forEach((entry, i) => {
        if (seen.has(entry.id)) {
          addIssue({
            message: 'lists an arena that is already listed',
            path: [
              { type: 'array', origin: 'value', input: dataset.value as unknown[], key: i, value: entry },
              { type: 'object', origin: 'value', input: entry, key: 'id', value: entry.id },
            ],
          });
        }
        seen.add(entry.id);
      });
    }),
  ),
});

export type ArenasConfig = v.InferOutput<typeof ArenasConfigSchema>;

/** Parses the stored TEXT column; a corrupt value reads as empty rather than breaking a page. */
export function readStoredArenasConfig(text: string): ArenasConfig {
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch {
    return { arenas: [] };
  }
  const r = parseWith(ArenasConfigSchema, stored);
  return r.ok ? r.value : { arenas: [] };
}

/** An arena entry a recovery disabled, so it can be re-enabled exactly. */
export interface DisabledArena {
  query_design_id: number;
  arena: ArenaId;
  tier: Tier;
}

/**
 * The enabled entries of one design that draw on a lost platform+tier
 * (`lost` holds `platform:tier` keys). Keyless tiers are never affected.
 */
export function arenasToDisable(designId: number, config: ArenasConfig, lost: ReadonlySet<string>): DisabledArena[] {
  return config.arenas
    .filter((a) => a.enabled && platformsForArena(a.id, a.tier).some((p) => lost.has(`${p}:${a.tier}`)))
    .map((a) => ({ query_design_id: designId, arena: a.id, tier: a.tier }));
}

/** The config with the given entries' `enabled` set; entries not named are returned untouched. */
export function setArenasEnabled(config: ArenasConfig, which: readonly { arena: string; tier: string }[], enabled: boolean): ArenasConfig {
  const named = new Set(which.map((w) => `${w.arena}:${w.tier}`));
  return { arenas: config.arenas.map((a) => (named.has(`${a.id}:${a.tier}`) ? { ...a, enabled } : a)) };
}
