/**
 * The vault's two master secrets as the operator scripts see them: their
 * names, how to generate each, how to check a value without echoing it, and
 * the public key id each one is known by (the same ids `/api/health`, JWT
 * headers and `api_credentials.key_id` use: see src/crypto/key-id.ts).
 *
 * @example
 *   const value = generateSecret('CREDENTIAL_ENCRYPTION_KEY');
 *   const id = await keyIdOfSecret('CREDENTIAL_ENCRYPTION_KEY', value);
 */
import { Fernet, InvalidFernetKey } from '../../src/crypto/fernet.ts';
import { hexEncode, utf8 } from '../../src/crypto/encoding.ts';
import { keyIdOf } from '../../src/crypto/key-id.ts';
import { secretKeyStrength } from '../../src/config.ts';
import { CliError } from './cli.ts';

export const MASTER_SECRETS = ['SECRET_KEY', 'CREDENTIAL_ENCRYPTION_KEY'] as const;
export type MasterSecret = (typeof MASTER_SECRETS)[number];

/** The `--only` spellings the scripts accept, and the secret each one means. */
export const ONLY_CHOICES: Record<string, MasterSecret> = {
  'secret-key': 'SECRET_KEY',
  'credential-key': 'CREDENTIAL_ENCRYPTION_KEY',
};

/** Which secrets an `--only` value selects: both when it is absent. */
export function selectSecrets(only: string | undefined): MasterSecret[] {
  if (only === undefined) return [...MASTER_SECRETS];
  const name = ONLY_CHOICES[only];
  if (!name) throw new CliError(`--only takes secret-key or credential-key, not "${only.slice(0, 20)}"`);
  return [name];
}

/** A 64-hex SECRET_KEY (32 random bytes, like `openssl rand -hex 32`) or a Fernet key. */
export function generateSecret(name: MasterSecret): string {
  if (name === 'CREDENTIAL_ENCRYPTION_KEY') return Fernet.generateKey();
  return hexEncode(crypto.getRandomValues(new Uint8Array(32)));
}

/** Why `value` cannot be this secret, in words that never include the value; null if it can. */
export async function secretProblem(name: MasterSecret, value: string): Promise<string | null> {
  if (!value) return `${name} is empty`;
  if (name === 'CREDENTIAL_ENCRYPTION_KEY') {
    try {
      await Fernet.fromKey(value);
      return null;
    } catch (e) {
      if (e instanceof InvalidFernetKey) return `${name} is not a Fernet key (32 bytes, url-safe base64, 44 characters)`;
      throw e;
    }
  }
  // The same rule the Worker applies at startup (src/config.ts).
  if (secretKeyStrength(value) < 32) return `${name} is too weak: it needs at least 32 random bytes (64 hex characters)`;
  if (new Set(value).size < 8) return `${name} is not random enough (too few distinct characters)`;
  return null;
}

/** The key id the vault knows this secret by (never reveals the secret). */
export async function keyIdOfSecret(name: MasterSecret, value: string): Promise<string> {
  if (name === 'CREDENTIAL_ENCRYPTION_KEY') return (await Fernet.fromKey(value)).keyId;
  return keyIdOf(utf8.encode(value));
}

/**
 * A value copied from `.dev.vars.example` such as `<64 hex chars from: ...>`:
 * a placeholder, not a key, so it may be replaced.
 */
export function isPlaceholder(value: string | undefined): boolean {
  const v = value?.trim() ?? '';
  return v === '' || (v.startsWith('<') && v.endsWith('>'));
}
