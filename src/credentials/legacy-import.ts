/**
 * Turns one row exported from the original platform into a vault credential,
 * for scripts/import-credentials.ts. Pure and runtime-neutral (Fernet on Web
 * Crypto), so it is tested without wrangler.
 *
 * The original (Python, pyca/cryptography Fernet) stored a credential as a
 * Fernet token of a JSON object in the column `credentials`, next to
 * platform, tier, credential_name, is_active, daily_quota, monthly_quota and
 * notes. Other columns (id, timestamps, counters) are ignored.
 *
 * Each token is decrypted with the original key(s), and its fields and
 * columns are checked with the same schema as `POST /api/credentials`
 * (`NewCredentialBody`); every problem is named. Then:
 * - decrypted by the vault's current key and already valid as is → the token
 *   is kept byte-for-byte, tagged with that key id;
 * - otherwise (another key, or fields that had to be normalised: trimmed, or
 *   numbers such as Telegram's api_id turned into strings) → re-encrypted
 *   under the current key.
 * Problems name the column or field, never a value.
 */
import { type Fernet, InvalidToken } from '../crypto/fernet.ts';
import { utf8 } from '../crypto/encoding.ts';
import { parseWith } from '../schema/validate.ts';
import { problemsText } from '../schema/problems.ts';
import { isPlainObject } from './fields.ts';
import { NewCredentialBody, type NewCredentialInput } from './input.ts';

export interface ImportedCredential {
  input: NewCredentialInput;
  isActive: boolean;
  token: string;
  keyId: string;
  /** The original token was kept byte-for-byte. */
  keptToken: boolean;
  /** Fields were trimmed or converted to strings (so the token had to be re-encrypted). */
  normalized: boolean;
}

type LegacyRowResult = { ok: true; credential: ImportedCredential } | { ok: false; problem: string };

const fail = (problem: string): LegacyRowResult => ({ ok: false, problem });

function activeFlag(v: unknown): boolean | null {
  if (v === undefined || v === null) return true;
  if (v === true || v === 1 || v === 'true' || v === '1') return true;
  if (v === false || v === 0 || v === 'false' || v === '0') return false;
  return null;
}

/** Field values as strings: numbers and booleans (e.g. an integer api_id) are converted; anything else is refused. */
function stringFields(payload: Record<string, unknown>): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload)) {
    if (typeof v === 'string') out[k] = v;
    else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') out[k] = String(v);
    else return `credentials field "${k.slice(0, 40)}" is not a string or number`;
  }
  return out;
}

async function decryptWithAny(token: string, keys: readonly Fernet[]): Promise<{ bytes: Uint8Array; key: Fernet } | null> {
  for (const key of keys) {
    try {
      return { bytes: await key.decrypt(token), key };
    } catch (e) {
      if (!(e instanceof InvalidToken)) throw e;
    }
  }
  return null;
}

/** One JSON Lines row → a credential ready to insert, or the reason it is skipped. */
export async function convertLegacyRow(line: string, originalKeys: readonly Fernet[], current: Fernet): Promise<LegacyRowResult> {
  let row: unknown;
  try {
    row = JSON.parse(line);
  } catch {
    return fail('not valid JSON'); // JSON.parse's own message quotes the line, which may hold a token
  }
  if (!isPlainObject(row)) return fail('not a JSON object');
  if (typeof row.credentials !== 'string' || row.credentials.length === 0) return fail('column "credentials" must be a Fernet token string');
  const isActive = activeFlag(row.is_active);
  if (isActive === null) return fail('column "is_active" must be true/false or 1/0');

  const original = row.credentials.trim();
  const opened = await decryptWithAny(original, originalKeys);
  if (!opened) return fail('column "credentials" does not decrypt under the original key');
  let payload: unknown;
  try {
    payload = JSON.parse(utf8.decode(opened.bytes));
  } catch {
    payload = undefined;
  } finally {
    opened.bytes.fill(0);
  }
  if (!isPlainObject(payload)) return fail('column "credentials" decrypts, but not to a JSON object');
  const fields = stringFields(payload);
  if (typeof fields === 'string') return fail(fields);

  const parsed = parseWith(NewCredentialBody, {
    platform: row.platform,
    tier: row.tier,
    credential_name: row.credential_name,
    fields,
    daily_quota: row.daily_quota ?? null,
    monthly_quota: row.monthly_quota ?? null,
    notes: row.notes ?? null,
  });
  if (!parsed.ok) return fail(problemsText(parsed.problems));
  const input: NewCredentialInput = parsed.value;

  const normalized = Object.keys(payload).length !== Object.keys(input.fields).length || Object.entries(input.fields).some(([k, v]) => payload[k] !== v);
  if (!normalized && opened.key.keyId === current.keyId) {
    return { ok: true, credential: { input, isActive, token: original, keyId: current.keyId, keptToken: true, normalized } };
  }
  const token = await current.encrypt(JSON.stringify(input.fields));
  return { ok: true, credential: { input, isActive, token, keyId: current.keyId, keptToken: false, normalized } };
}
