/**
 * The key ids a vault knows, for verify-backup to compare a backup with:
 * from a running vault's `GET /api/health` (key ids only, never keys), or
 * from a `.dev.vars` file (its keys are turned into key ids here and go no
 * further). A backup's standing is then `current`, `previous` or `unknown`.
 *
 * @example
 *   const known = await knownKeysFromHealth('http://127.0.0.1:8787');
 *   standingOf(known, 'SECRET_KEY', '0123456789abcdef'); // 'current' | 'previous' | 'unknown'
 */
import { CliError } from './cli.ts';
import { readDevVars } from './dev-vars.ts';
import { keyIdOfSecret, secretProblem, type MasterSecret } from './master-secrets.ts';
import { fetchHealth, healthUrl, type Health } from './vault-health.ts';

export type Standing = 'current' | 'previous' | 'unknown';

export interface KeyIds {
  current: string;
  previous: string[];
}

export interface KnownKeys {
  /** Where the ids came from, for messages: a URL or a file path. */
  source: string;
  keys: Partial<Record<MasterSecret, KeyIds>>;
  /** Why a secret has no ids (e.g. invalid configuration), per secret. */
  problems: Partial<Record<MasterSecret, string>>;
}

/** Exit codes of verify-backup, one per standing. */
export const STANDING_EXIT: Record<Standing, number> = { current: 0, previous: 3, unknown: 4 };

/** The current and previous key ids of `name` in a health body; null when it reports none (invalid configuration). */
export function keyIdsInHealth(h: Health, name: MasterSecret): KeyIds | null {
  if (name === 'SECRET_KEY') {
    const sec = h.keys?.secret_key;
    return sec?.current_kid ? { current: sec.current_kid, previous: sec.previous_kids ?? [] } : null;
  }
  const cred = h.keys?.credential_key;
  return cred?.current_key_id ? { current: cred.current_key_id, previous: cred.previous_key_ids ?? [] } : null;
}

/** Key ids from a running vault. Unreachable or unreadable: a CliError with exit code 1. */
export async function knownKeysFromHealth(base: string): Promise<KnownKeys> {
  const url = healthUrl(base);
  let body: Health;
  try {
    body = await fetchHealth(url);
  } catch (e) {
    const cause = (e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    throw new CliError(`could not read ${url} (${cause}); is the vault running? (npm start, or pass --url)`, 1);
  }
  return knownKeysInHealth(body, url);
}

/** Key ids from a health body already read (`source`: its URL, for messages). */
export function knownKeysInHealth(body: Health, source: string): KnownKeys {
  const known: KnownKeys = { source, keys: {}, problems: {} };
  const invalid = 'the vault reports an invalid configuration, so it has no key ids to compare with (see its /api/health)';
  for (const name of ['CREDENTIAL_ENCRYPTION_KEY', 'SECRET_KEY'] as const) {
    const ids = keyIdsInHealth(body, name);
    if (ids) known.keys[name] = ids;
    else known.problems[name] = invalid;
  }
  return known;
}

async function idsOf(name: MasterSecret, values: string[]): Promise<string[]> {
  return Promise.all(values.map((v) => keyIdOfSecret(name, v)));
}

/** Key ids of the keys in a .dev.vars file (current and `_PREVIOUS`). */
export async function knownKeysFromDevVars(file: string): Promise<KnownKeys> {
  const vars = readDevVars(file);
  if (!vars) throw new CliError(`${file} not found (pass --dev-vars=PATH, or compare with a running vault via --url)`, 1);
  const known: KnownKeys = { source: file, keys: {}, problems: {} };
  for (const name of ['SECRET_KEY', 'CREDENTIAL_ENCRYPTION_KEY'] as const) {
    const current = vars[name]?.trim() ?? '';
    const previous = (vars[`${name}_PREVIOUS`] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = (await secretProblem(name, current)) ?? (await Promise.all(previous.map((p) => secretProblem(name, p)))).find(Boolean);
    if (bad) known.problems[name] = `${file}: ${bad}`;
    else known.keys[name] = { current: await keyIdOfSecret(name, current), previous: await idsOf(name, previous) };
  }
  return known;
}

/** Where `keyId` stands among the known ids of `name`. */
export function standingOf(known: KnownKeys, name: MasterSecret, keyId: string): Standing {
  const ids = known.keys[name];
  if (!ids) throw new CliError(`cannot compare ${name}: ${known.problems[name] ?? 'no key ids known'}`, 1);
  if (ids.current === keyId) return 'current';
  return ids.previous.includes(keyId) ? 'previous' : 'unknown';
}
