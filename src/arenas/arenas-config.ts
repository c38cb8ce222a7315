/**
 * A query design's arena configuration, `{"arenas":[{"id","enabled","tier"}]}`:
 * validation against the arena registry (an unknown arena or a tier the arena
 * lacks is a 422 naming the entry), and the pure edits lost-key recovery makes
 * (disable the arenas that drew on purged credentials, later re-enable exactly
 * those). Pure; no I/O.
 *
 * @example
 *   const config = parseArenasConfig({ arenas: [{ id: 'google_search', enabled: true, tier: 'medium' }] });
 */
import { ARENAS, arenaTiers, isArenaId, isTier, platformsForArena, type ArenaId, type Tier } from './registry.ts';
import { VaultError } from '../errors.ts';

export interface ArenaSetting {
  id: ArenaId;
  enabled: boolean;
  tier: Tier;
}

export interface ArenasConfig {
  arenas: ArenaSetting[];
}

function invalid(field: string, message: string): VaultError {
  return new VaultError('VALIDATION_FAILED', message, { details: { field } });
}

/**
 * Validates an arenas_config value (already JSON-parsed). Every entry needs
 * `id` (a registry arena), `tier` (one that arena offers) and `enabled`
 * (boolean); an arena may appear once; unknown keys are refused.
 */
export function parseArenasConfig(input: unknown): ArenasConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalid('arenas_config', 'arenas_config must be an object like {"arenas": [...]}.');
  }
  const extra = Object.keys(input).filter((k) => k !== 'arenas');
  if (extra.length) throw invalid(`arenas_config.${extra[0]}`, `arenas_config has an unknown key "${extra[0]}".`);
  const list = (input as { arenas?: unknown }).arenas;
  if (!Array.isArray(list)) throw invalid('arenas_config.arenas', 'arenas_config.arenas must be a list.');
  if (list.length > Object.keys(ARENAS).length) throw invalid('arenas_config.arenas', 'arenas_config.arenas lists more arenas than exist.');
  const seen = new Set<string>();
  const arenas = list.map((entry, i): ArenaSetting => {
    const at = `arenas_config.arenas[${i}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw invalid(at, `${at} must be an object with id, enabled and tier.`);
    const e = entry as Record<string, unknown>;
    const unknown = Object.keys(e).find((k) => !['id', 'enabled', 'tier'].includes(k));
    if (unknown) throw invalid(`${at}.${unknown}`, `${at} has an unknown key "${unknown}".`);
    if (!isArenaId(e.id)) throw invalid(`${at}.id`, `${at}.id: unknown arena${typeof e.id === 'string' ? ` "${e.id.slice(0, 40)}"` : ''}.`);
    if (seen.has(e.id)) throw invalid(`${at}.id`, `${at}.id: arena "${e.id}" is listed twice.`);
    seen.add(e.id);
    if (typeof e.enabled !== 'boolean') throw invalid(`${at}.enabled`, `${at}.enabled must be true or false.`);
    const tiers = arenaTiers(e.id);
    if (!isTier(e.tier) || !tiers.includes(e.tier)) {
      throw invalid(`${at}.tier`, `${at}.tier: arena "${e.id}" has no tier "${String(e.tier).slice(0, 20)}" (it has ${tiers.join(', ')}).`);
    }
    return { id: e.id, enabled: e.enabled, tier: e.tier };
  });
  return { arenas };
}

/** Parses the stored TEXT column; a corrupt value reads as empty rather than breaking a page. */
export function readStoredArenasConfig(text: string): ArenasConfig {
  try {
    return parseArenasConfig(JSON.parse(text));
  } catch {
    return { arenas: [] };
  }
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
