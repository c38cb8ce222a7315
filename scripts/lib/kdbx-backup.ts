/**
 * KeePass backups: a master secret as an entry of a new KDBX 4 database
 * (`backup-secrets --credential-key-out /media/usb/vault.kdbx`), which
 * KeePassXC, KeePass and their ports open; the runbook's "password manager
 * with an encrypted vault export".
 *
 * - KDBX 4, AES-256 outer cipher (kdbxweb's default), Argon2id KDF (64 MiB, 3 passes, 2 lanes)
 *   computed by hash-wasm (kdbxweb brings no Argon2 of its own), under the
 *   master passphrase backup-secrets asks for (the gpg backups' prompt and
 *   strength rule).
 * - One entry per secret: title `arena-vault <NAME> <key id>`, password the
 *   secret, user name the secret's name, notes the key id, the time it was
 *   made and the restore steps.
 * - Everything happens in memory (the secret is a kdbxweb ProtectedValue);
 *   the caller writes the bytes, never over an existing file.
 *
 * @example
 *   const bytes = await buildKdbx({ passphrase, entries: [{ name, value, keyId, createdAt }] });
 *   const { entries } = await readKdbx(bytes, passphrase);
 */
import { argon2id } from 'hash-wasm';
// kdbxweb ships one webpack bundle (CommonJS) whose exports Node cannot list by name: take the default export.
import kdbxweb from 'kdbxweb';
import { CliError } from './cli.ts';
import { MASTER_SECRETS, type MasterSecret } from './master-secrets.ts';
import type { BackupEntry, BackupLabel } from './secret-backup.ts';

const ARGON2 = { memoryBytes: 64 * 1024 * 1024, iterations: 3, parallelism: 2 };
const KDBX_SIGNATURE = [0x03, 0xd9, 0xa2, 0x9a, 0x67, 0xfb, 0x4b, 0xb5];

kdbxweb.CryptoEngine.setArgon2Impl(async (password, salt, memory, iterations, length, parallelism, type, version) => {
  if (type !== kdbxweb.CryptoEngine.Argon2TypeArgon2id && type !== kdbxweb.CryptoEngine.Argon2TypeArgon2d) throw new Error('unsupported Argon2 type');
  if (version !== 0x13) throw new Error('only Argon2 version 1.3 is supported');
  const opts = {
    password: new Uint8Array(password),
    salt: new Uint8Array(salt),
    iterations,
    parallelism,
    memorySize: memory,
    hashLength: length,
    outputType: 'binary' as const,
  };
  const out = type === kdbxweb.CryptoEngine.Argon2TypeArgon2id ? await argon2id(opts) : await (await import('hash-wasm')).argon2d(opts);
  return out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer;
});

/** True when `path` names a KeePass database (a backup destination that is a file, not a directory). */
export function isKdbxPath(path: string): boolean {
  return /\.kdbx$/i.test(path);
}

/** True when `data` starts with the KeePass 2.x signature. */
export function isKdbxData(data: Uint8Array): boolean {
  return KDBX_SIGNATURE.every((b, i) => data[i] === b);
}

export function kdbxEntryTitle(name: MasterSecret, keyId: string): string {
  return `arena-vault ${name} ${keyId}`;
}

function notesFor(name: MasterSecret, keyId: string, createdAt: Date): string {
  return [
    `arena-vault ${name}, key id ${keyId}`,
    `Made: ${createdAt.toISOString()}`,
    '',
    'Restore (docs/operations/secrets.md, "Backing up the secrets"):',
    `1. Copy this entry's password (KeePassXC: keepassxc-cli show -a Password DATABASE "${kdbxEntryTitle(name, keyId)}").`,
    `2. Put it on the Worker without echo: npx wrangler secret put ${name} (paste it at the prompt).`,
    `3. Check it: npm run verify-backup -- DATABASE --url https://<your vault> must answer CURRENT for key id ${keyId}.`,
    'Never keep both secrets in one place: the other secret belongs in another database on other media.',
  ].join('\n');
}

function credentials(passphrase: string): kdbxweb.KdbxCredentials {
  return new kdbxweb.KdbxCredentials(kdbxweb.ProtectedValue.fromString(passphrase));
}

/** A new KDBX 4 database (Argon2id) holding each secret as an entry; returns its bytes. */
export async function buildKdbx(opts: {
  passphrase: string;
  entries: { name: MasterSecret; value: string; keyId: string; createdAt: Date }[];
}): Promise<Uint8Array> {
  const db = kdbxweb.Kdbx.create(credentials(opts.passphrase), 'arena-vault backup');
  db.setVersion(4);
  db.setKdf(kdbxweb.Consts.KdfId.Argon2id);
  const kdf = db.header.kdfParameters!;
  kdf.set('M', kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(ARGON2.memoryBytes));
  kdf.set('I', kdbxweb.VarDictionary.ValueType.UInt64, kdbxweb.Int64.from(ARGON2.iterations));
  kdf.set('P', kdbxweb.VarDictionary.ValueType.UInt32, ARGON2.parallelism);
  for (const e of opts.entries) {
    const entry = db.createEntry(db.getDefaultGroup());
    entry.fields.set('Title', kdbxEntryTitle(e.name, e.keyId));
    entry.fields.set('UserName', e.name);
    entry.fields.set('Password', kdbxweb.ProtectedValue.fromString(e.value));
    entry.fields.set('Notes', notesFor(e.name, e.keyId, e.createdAt));
    entry.times.creationTime = e.createdAt;
    entry.times.lastModTime = e.createdAt;
  }
  return new Uint8Array(await db.save());
}

/**
 * The secrets a KeePass database holds (entries titled `arena-vault NAME ...`).
 * A wrong passphrase or a damaged file is a CliError; the label is the title's key id.
 */
export async function readKdbx(data: Uint8Array, passphrase: string): Promise<{ entries: BackupEntry[]; label: BackupLabel }> {
  let db: kdbxweb.Kdbx;
  try {
    db = await kdbxweb.Kdbx.load(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer, credentials(passphrase));
  } catch (e) {
    if (e instanceof kdbxweb.KdbxError && e.code === kdbxweb.Consts.ErrorCodes.InvalidKey)
      throw new CliError('could not open the KeePass database: wrong master passphrase');
    throw new CliError(`could not open the KeePass database (${e instanceof kdbxweb.KdbxError ? e.code : 'unreadable'})`);
  }
  const entries: BackupEntry[] = [];
  let label: BackupLabel = {};
  for (const entry of db.getDefaultGroup().allEntries()) {
    const m = /^arena-vault ([A-Z_]+) ([0-9a-f]+)$/.exec(String(entry.fields.get('Title') ?? ''));
    const name = MASTER_SECRETS.find((n) => n === m?.[1]);
    const password = entry.fields.get('Password');
    if (!name || !password) continue;
    entries.push({ name, value: (password instanceof kdbxweb.ProtectedValue ? password.getText() : String(password)).trim() });
    label = { name, keyId: m![2] };
  }
  if (!entries.length)
    throw new CliError('the KeePass database opened, but it holds no entry titled "arena-vault SECRET_KEY ..." or "arena-vault CREDENTIAL_ENCRYPTION_KEY ..."');
  return { entries, label: entries.length === 1 ? label : {} };
}
