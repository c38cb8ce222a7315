/**
 * Lost-key recovery, the pure part: validating a purge request (scope and the
 * typed confirmation phrase), working out which arenas a purge takes away
 * from which query designs, and which recorded arenas a re-enable can
 * restore. The seed's procedure was "TRUNCATE api_credentials, then re-enable
 * affected arenas by hand"; here only unrecoverable rows go, and the vault
 * remembers exactly what it switched off.
 */
import { VaultError } from '../errors.ts';
import { arenasToDisable, readStoredArenasConfig, type DisabledArena } from '../arenas/arenas-config.ts';

export const PURGE_CONFIRMATION = 'PURGE UNRECOVERABLE CREDENTIALS';

/** `all`: every row that cannot be read (key missing, or does not decrypt under its key); `key_ids`: rows under those missing keys. */
export type PurgeScope = { kind: 'all' } | { kind: 'key_ids'; keyIds: string[] };

function invalid(field: string, message: string): VaultError {
  return new VaultError('VALIDATION_FAILED', message, { details: { field } });
}

/** `{confirm, scope: "all"}` or `{confirm, key_ids: [...]}`. */
export function parsePurgeRequest(body: Record<string, unknown>): PurgeScope {
  const unknown = Object.keys(body).find((k) => !['confirm', 'scope', 'key_ids'].includes(k));
  if (unknown) throw invalid(unknown, `Unknown field "${unknown.slice(0, 40)}"; allowed: confirm, scope, key_ids.`);
  if (body.confirm !== PURGE_CONFIRMATION) {
    throw invalid('confirm', `Type the confirmation phrase exactly: ${PURGE_CONFIRMATION}`);
  }
  if (body.key_ids !== undefined) {
    if (body.scope !== undefined && body.scope !== 'key_ids') throw invalid('scope', 'Give either scope "all" or key_ids, not both.');
    const ids = body.key_ids;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > 50 || !ids.every((k) => typeof k === 'string' && /^[0-9a-f]{16}$/.test(k))) {
      throw invalid('key_ids', 'key_ids must be a list of 1–50 key ids (16 hex characters).');
    }
    return { kind: 'key_ids', keyIds: [...new Set(ids as string[])] };
  }
  if (body.scope !== 'all') throw invalid('scope', 'Say scope "all", or list key_ids.');
  return { kind: 'all' };
}

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
export function lostPlatformTiers(
  all: readonly CredentialFacts[],
  purged: ReadonlySet<number>,
  readable: (row: CredentialFacts) => boolean,
): Set<string> {
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
