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

interface HealthBody {
  keys?: {
    credential_key?: { current_key_id?: string; previous_key_ids?: string[] };
    secret_key?: { current_kid?: string; previous_kids?: string[] };
  } | null;
}

export function healthUrl(base: string): string {
  const trimmed = base.replace(/\/+$/, '');
  return trimmed.endsWith('/api/health') ? trimmed : `${trimmed}/api/health`;
}

/** Key ids from a running vault. Unreachable or unreadable: a CliError with exit code 1. */
export async function knownKeysFromHealth(base: string): Promise<KnownKeys> {
  const url = healthUrl(base);
  let body: HealthBody;
  try {
    const res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(15_000) });
    body = (await res.json()) as HealthBody;
  } catch (e) {
    const cause = (e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    throw new CliError(`could not read ${url} (${cause}); is the vault running? (npm start, or pass --url)`, 1);
  }
  const known: KnownKeys = { source: url, keys: {}, problems: {} };
  const invalid = 'the vault reports an invalid configuration, so it has no key ids to compare with (see its /api/health)';
  const cred = body.keys?.credential_key;
  if (cred?.current_key_id) known.keys.CREDENTIAL_ENCRYPTION_KEY = { current: cred.current_key_id, previous: cred.previous_key_ids ?? [] };
  else known.problems.CREDENTIAL_ENCRYPTION_KEY = invalid;
  const sec = body.keys?.secret_key;
  if (sec?.current_kid) known.keys.SECRET_KEY = { current: sec.current_kid, previous: sec.previous_kids ?? [] };
  else known.problems.SECRET_KEY = invalid;
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
    const previous = (vars[`${name}_PREVIOUS`] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
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
