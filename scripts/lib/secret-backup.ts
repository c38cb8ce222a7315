/**
 * The backup file format: one master secret per file, OpenPGP
 * symmetric-encrypted (RFC 4880 SKESK v4 + SEIPD v1 with MDC, AES-256,
 * iterated+salted S2K at the maximum count) or encrypted to OpenPGP public
 * keys (`--recipient`: PKESK + SEIPD v1, no passphrase), ASCII-armored, so a
 * plain `gpg --decrypt FILE` opens it (GnuPG 2.2 and later).
 *
 * - The armor `Comment:` header and the file name carry the secret's name and
 *   key id, never the key (they are unauthenticated labels, for people).
 * - The literal data packet's file name holds the secret's name; it sits
 *   inside the encryption, so verify-backup trusts it over the label.
 * - The plaintext is the bare value without a newline: `gpg --decrypt FILE |
 *   npx wrangler secret put NAME` restores it as it was.
 * Everything happens in memory; nothing here writes a file.
 *
 * @example
 *   const armored = await encryptBackup({ name: 'SECRET_KEY', value, keyId, passphrase });
 *   const { entries } = await decryptBackup(armored, passphrase);
 */
import * as openpgp from 'openpgp';
import { CliError } from './cli.ts';
import { parseDevVars } from './dev-vars.ts';
import { MASTER_SECRETS, secretProblem, type MasterSecret } from './master-secrets.ts';

export interface BackupEntry {
  name: MasterSecret;
  value: string;
}

export interface BackupLabel {
  name?: string;
  keyId?: string;
}

const COMMENT_PREFIX = 'arena-vault backup of';

export function backupFileName(name: MasterSecret, keyId: string): string {
  return `arena-vault-${name}-${keyId}.asc`;
}

export function backupComment(name: MasterSecret, keyId: string): string {
  return `${COMMENT_PREFIX} ${name}, key id ${keyId}`;
}

/** What a backup is locked with: a passphrase, or the public keys of its recipients. */
export type BackupLock = { passphrase: string; recipients?: undefined } | { recipients: openpgp.PublicKey[]; passphrase?: undefined };

/** Encrypts one secret under a passphrase or to recipients' public keys; returns the armored message. */
export async function encryptBackup(opts: { name: MasterSecret; value: string; keyId: string; date?: Date } & BackupLock): Promise<string> {
  const message = await openpgp.createMessage({ text: opts.value, filename: opts.name, format: 'utf8', date: opts.date });
  return openpgp.encrypt({
    message,
    ...(opts.recipients ? { encryptionKeys: opts.recipients, date: opts.date } : { passwords: [opts.passphrase] }),
    format: 'armored',
    config: {
      preferredSymmetricAlgorithm: openpgp.enums.symmetric.aes256,
      // SEIPD v1 + iterated S2K: what GnuPG 2.2 reads. AEAD and Argon2 it does not.
      aeadProtect: false,
      s2kType: openpgp.enums.s2k.iterated,
      s2kIterationCountByte: 255,
      preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed,
      showVersion: false,
      showComment: true,
      commentString: backupComment(opts.name, opts.keyId),
    },
  });
}

/** The name and key id an armored backup's `Comment:` header claims (unauthenticated). */
export function readBackupLabel(armored: string): BackupLabel {
  const m = /^Comment: arena-vault backup of ([A-Z_]+), key id ([0-9a-f]+)\s*$/m.exec(armored);
  return m ? { name: m[1], keyId: m[2] } : {};
}

async function readAnyMessage(data: Uint8Array): Promise<openpgp.Message<Uint8Array | string>> {
  const text = new TextDecoder().decode(data);
  if (text.includes('-----BEGIN PGP MESSAGE-----')) return openpgp.readMessage({ armoredMessage: text });
  return openpgp.readMessage({ binaryMessage: data });
}

/**
 * The secrets a decrypted backup holds. Accepts this project's format (the
 * literal file name names the secret), a dotenv text of `NAME=value` lines
 * (a hand-made `gpg --symmetric` backup, as the original runbook made), or a
 * bare value recognised by its shape.
 */
export async function interpretBackup(literalName: string | undefined, text: string): Promise<BackupEntry[]> {
  const named = MASTER_SECRETS.find((n) => n === literalName);
  if (named) return [{ name: named, value: text.trim() }];
  const vars = parseDevVars(text);
  const entries = MASTER_SECRETS.filter((n) => vars[n]).map((n) => ({ name: n, value: vars[n]! }));
  if (entries.length) return entries;
  const bare = text.trim();
  for (const name of ['CREDENTIAL_ENCRYPTION_KEY', 'SECRET_KEY'] as const) {
    if (/^\S+$/.test(bare) && !(await secretProblem(name, bare))) return [{ name, value: bare }];
  }
  throw new CliError('the backup decrypted, but it holds neither a SECRET_KEY nor a CREDENTIAL_ENCRYPTION_KEY');
}

/** True when a backup is encrypted to public keys only (made with --recipient): gpg has to open it. */
export async function encryptedToKeysOnly(data: Uint8Array): Promise<boolean> {
  try {
    const message = await readAnyMessage(data);
    const packets = message.packets.filterByTag(openpgp.enums.packet.symEncryptedSessionKey);
    return message.getEncryptionKeyIDs().length > 0 && packets.length === 0;
  } catch {
    return false;
  }
}

/** Decrypts a backup (armored or binary) in memory. A wrong passphrase is a CliError. */
export async function decryptBackup(data: Uint8Array, passphrase: string): Promise<{ entries: BackupEntry[]; label: BackupLabel }> {
  let message;
  try {
    message = await readAnyMessage(data);
  } catch {
    throw new CliError('this is not an OpenPGP message (expected an armored or binary gpg file)');
  }
  let decrypted;
  try {
    decrypted = await openpgp.decrypt({ message, passwords: [passphrase], format: 'binary' });
  } catch {
    throw new CliError('could not decrypt: wrong passphrase, or not a passphrase-encrypted backup');
  }
  const label = readBackupLabel(new TextDecoder().decode(data));
  const literalName = decrypted.filename || undefined;
  const text = new TextDecoder().decode(decrypted.data as Uint8Array);
  return { entries: await interpretBackup(literalName, text), label };
}
