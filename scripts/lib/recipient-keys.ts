/**
 * The OpenPGP public keys a backup is encrypted to (`backup-secrets
 * --recipient KEY`), so the private half can live on a hardware token (a
 * YubiKey's or Nitrokey's OpenPGP applet) and `gpg --decrypt` opens the file.
 *
 * - `KEY` is a path to an armored public key file, or a fingerprint (or long
 *   key id) in the operator's gpg keyring, read with `gpg --export`.
 * - A key that cannot encrypt now (revoked, expired, or sign-only: no valid
 *   encryption subkey) is refused by its fingerprint and user id, before
 *   anything is written.
 * Only public keys pass through here; nothing here writes a file.
 *
 * @example
 *   const keys = await readRecipients(['/media/usb/operator.pub.asc', 'A1B2...F0']);
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as openpgp from 'openpgp';
import { CliError } from './cli.ts';

/** A fingerprint (40 or 64 hex) or long key id (16 hex), spaces allowed, optional 0x. */
const FINGERPRINT = /^(?:0x)?(?:[0-9A-Fa-f]{4}\s?){4,16}$/;

function describeKey(key: openpgp.PublicKey): string {
  const uid = key.getUserIDs()[0];
  return `${key.getFingerprint().toUpperCase()}${uid ? ` (${uid})` : ''}`;
}

/** The armored key a KEY argument names: a file's text, or what `gpg --export --armor FPR` prints. */
function armoredKeyOf(spec: string): string {
  if (existsSync(spec)) {
    try {
      return readFileSync(spec, 'utf8');
    } catch (e) {
      throw new CliError(`cannot read the key file ${spec}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
    }
  }
  if (!FINGERPRINT.test(spec.trim())) {
    throw new CliError(`--recipient ${spec.slice(0, 80)}: neither a key file nor a fingerprint (40 hex digits) in your gpg keyring`);
  }
  const fpr = spec.replace(/\s|^0x/g, '');
  const res = spawnSync('gpg', ['--batch', '--armor', '--export', '--', fpr], { encoding: 'utf8' });
  if (res.error) throw new CliError(`could not run gpg to export ${fpr}: ${res.error.message}`, 1);
  if (res.status !== 0 || !res.stdout.includes('BEGIN PGP PUBLIC KEY BLOCK')) {
    throw new CliError(`--recipient ${fpr}: no such public key in your gpg keyring (gpg --list-keys ${fpr})`);
  }
  return res.stdout;
}

/** Why `key` cannot encrypt at `date`, or null when it can. */
export async function encryptionProblem(key: openpgp.PublicKey, date = new Date()): Promise<string | null> {
  if (await key.isRevoked(undefined, undefined, date)) return 'it is revoked';
  const expires = await key.getExpirationTime().catch(() => null);
  if (expires instanceof Date && expires.getTime() <= date.getTime()) return `it expired on ${expires.toISOString().slice(0, 10)}`;
  try {
    await key.getEncryptionKey(undefined, date);
    return null;
  } catch {
    return 'it has no valid encryption subkey (sign-only, or its encryption subkey expired or was revoked)';
  }
}

/** Reads every --recipient KEY; refuses one that is unreadable, private, or cannot encrypt, by name. */
export async function readRecipients(specs: string[], date = new Date()): Promise<openpgp.PublicKey[]> {
  const keys: openpgp.PublicKey[] = [];
  for (const spec of specs) {
    let found: openpgp.Key[];
    try {
      found = await openpgp.readKeys({ armoredKeys: armoredKeyOf(spec) });
    } catch (e) {
      if (e instanceof CliError) throw e;
      throw new CliError(`--recipient ${spec.slice(0, 80)}: not an armored OpenPGP public key`);
    }
    for (const key of found) {
      if (key.isPrivate()) throw new CliError(`--recipient ${spec.slice(0, 80)} holds a private key: give the public key only (gpg --armor --export FPR)`);
      const problem = await encryptionProblem(key as openpgp.PublicKey, date);
      if (problem) throw new CliError(`the key ${describeKey(key as openpgp.PublicKey)} cannot encrypt: ${problem}; nothing was written`);
      if (!keys.some((k) => k.getFingerprint() === key.getFingerprint())) keys.push(key as openpgp.PublicKey);
    }
  }
  return keys;
}

/** Fingerprints of the recipients, for the operator's output. */
export function recipientNames(keys: openpgp.PublicKey[]): string[] {
  return keys.map(describeKey);
}
