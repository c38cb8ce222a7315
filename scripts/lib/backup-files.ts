/**
 * Writing and checking backup files, for every script that makes or reads
 * backups (backup-secrets, verify-backup, deploy-first, rotate-secret-key):
 *
 * - where backups may go: each secret in its own place (a directory for
 *   `.asc` files, or a `.kdbx` KeePass file whose place is its directory),
 *   the places neither equal nor nested, and none inside this checkout (a key
 *   file there is one `git add .` or `COPY . .` away from leaking);
 * - the new-backup passphrase (strength rule in passphrase.ts, asked twice);
 *   it is also a KeePass file's master passphrase;
 * - writing one backup file (never over an existing one) and its QR page:
 *   `.asc` under a passphrase or to `--recipient` public keys, or `.kdbx`;
 * - the check verify-backup makes: decrypt in memory (a passphrase, the
 *   operator's own gpg with `--decrypt-with gpg`, or a KeePass master
 *   passphrase), key id, standing.
 *
 * @example
 *   checkBackupDirs({ SECRET_KEY: '/media/a', CREDENTIAL_ENCRYPTION_KEY: '/media/b' });
 *   const { file } = await writeBackup({ name: 'SECRET_KEY', value, dir: '/media/a', passphrase });
 */
import { existsSync, linkSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CliError } from './cli.ts';
import { STANDING_EXIT, standingOf, type KnownKeys, type Standing } from './known-keys.ts';
import { keyIdOfSecret, secretProblem, type MasterSecret } from './master-secrets.ts';
import { assessPassphrase, readPassphraseFile } from './passphrase.ts';
import { promptHidden } from './prompt.ts';
import { decryptWithGpg } from './gpg-decrypt.ts';
import { buildKdbx, isKdbxData, isKdbxPath, readKdbx } from './kdbx-backup.ts';
import { renderQrPage } from './qr-page.ts';
import { backupFileName, decryptBackup, encryptBackup, encryptedToKeysOnly, type BackupLock } from './secret-backup.ts';
import { PROJECT_ROOT } from './wrangler.ts';

/** The original runbook's rule (docs/operations/secrets.md, "Where to keep them"). */
export const SEPARATE_LOCATIONS_RULE = 'Do not store both secrets in the same backup location.';

/** A path with symlinks resolved as far as it exists (the rest appended), for comparing locations. */
function resolvedPath(p: string): string {
  let head = path.resolve(p);
  const tail: string[] = [];
  while (!existsSync(head)) {
    tail.unshift(path.basename(head));
    const up = path.dirname(head);
    if (up === head) break;
    head = up;
  }
  return path.join(realpathSync(head), ...tail);
}

function inside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** The place a destination stands for: a directory, or a KeePass file's directory. */
function placeOf(dest: string): string {
  return resolvedPath(isKdbxPath(dest) ? path.dirname(path.resolve(dest)) : dest);
}

/**
 * Refuses backup places inside the checkout, and, for both secrets, the
 * same place or one inside the other (quoting the runbook rule). A `.kdbx`
 * destination's place is its directory: two KeePass files side by side are
 * one place.
 */
export function checkBackupDirs(dirs: Partial<Record<MasterSecret, string>>): void {
  const checkout = resolvedPath(PROJECT_ROOT);
  const entries = Object.entries(dirs) as [MasterSecret, string][];
  for (const [name, dir] of entries) {
    if (inside(placeOf(dir), checkout)) {
      throw new CliError(
        `the backup directory for ${name} (${dir}) is inside this checkout (${PROJECT_ROOT}): a key file there can reach git or an image; use removable media or a directory outside it`,
      );
    }
  }
  if (entries.length === 2) {
    const [a, b] = entries.map(([, d]) => placeOf(d)) as [string, string];
    if (inside(a, b) || inside(b, a)) {
      throw new CliError(
        `"${SEPARATE_LOCATIONS_RULE}" (docs/operations/secrets.md): ${entries[0]![1]} and ${entries[1]![1]} are the same place or one is inside the other`,
      );
    }
  }
}

/** A new backup's passphrase: from the first line of `file`, or asked twice without echo; weak ones refused. */
export async function readNewPassphrase(file: string | undefined): Promise<string> {
  const passphrase = file ? readPassphraseFile(file) : await promptHidden('Backup passphrase (input hidden): ');
  const { problem } = assessPassphrase(passphrase);
  if (problem) throw new CliError(`${problem}; nothing was written`);
  if (!file && (await promptHidden('Same passphrase again: ')) !== passphrase) {
    throw new CliError('the two passphrases differ; nothing was written');
  }
  return passphrase;
}

/** The passphrase of an existing backup: from `file`, or asked once without echo. */
export async function readBackupPassphrase(file: string | undefined, what = 'Backup passphrase'): Promise<string> {
  return file ? readPassphraseFile(file) : promptHidden(`${what} (input hidden): `);
}

/** Writes a new file atomically and never over an existing one (link fails on EEXIST). */
export function writeNewFile(file: string, content: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, content, { mode: 0o600 });
    linkSync(tmp, file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(code === 'EEXIST' ? `${file} already exists; not overwriting it` : `cannot write ${file}: ${code ?? 'error'}`, 1);
  } finally {
    rmSync(tmp, { force: true });
  }
}

export interface PlannedBackup {
  name: MasterSecret;
  keyId: string;
  file: string;
  qrFile: string;
  /** `asc`: an OpenPGP file in a directory; `kdbx`: a new KeePass database at the given path. */
  format: 'asc' | 'kdbx';
}

/**
 * Where the backup of `value` goes: `dest` is a directory (an `.asc` file in
 * it) or a `.kdbx` path; refuses when a target exists already.
 */
export async function planBackup(name: MasterSecret, value: string, dest: string, qr: boolean): Promise<PlannedBackup> {
  const keyId = await keyIdOfSecret(name, value);
  if (isKdbxPath(dest)) {
    if (qr) throw new CliError(`--qr prints .asc backups; ${dest} is a KeePass file`);
    if (existsSync(dest)) throw new CliError(`${dest} already exists; not overwriting it (give a new .kdbx file name)`);
    return { name, keyId, file: dest, qrFile: '', format: 'kdbx' };
  }
  const file = path.join(dest, backupFileName(name, keyId));
  const planned: PlannedBackup = { name, keyId, file, qrFile: file.replace(/\.asc$/, '.qr.svg'), format: 'asc' };
  for (const f of qr ? [planned.file, planned.qrFile] : [planned.file]) if (existsSync(f)) throw new CliError(`${f} already exists; not overwriting it`);
  return planned;
}

/**
 * Encrypts `value` in memory and writes the planned backup (and with `qr` its QR page); prints what it wrote.
 * `lock` is the passphrase (a string), or `{ recipients }` for an `.asc` to public keys; a `.kdbx` needs a passphrase.
 */
export async function writeBackup(p: PlannedBackup, value: string, lock: string | BackupLock, opts: { qr?: boolean; createdAt?: Date } = {}): Promise<void> {
  const createdAt = opts.createdAt ?? new Date();
  const how: BackupLock = typeof lock === 'string' ? { passphrase: lock } : lock;
  if (p.format === 'kdbx' && how.passphrase === undefined) throw new CliError(`${p.file}: a KeePass file needs a master passphrase, not --recipient`);
  // Encrypted in memory first, so a failure leaves not even an empty directory behind.
  const content =
    p.format === 'kdbx'
      ? await buildKdbx({ passphrase: how.passphrase!, entries: [{ name: p.name, value, keyId: p.keyId, createdAt }] })
      : await encryptBackup({ name: p.name, value, keyId: p.keyId, date: createdAt, ...how });
  const dir = path.dirname(p.file);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CliError(`cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, 1);
  }
  writeNewFile(p.file, content);
  if (typeof content !== 'string') {
    process.stdout.write(`wrote ${p.file} (KeePass KDBX 4, entry "arena-vault ${p.name} ${p.keyId}")\n`);
    return;
  }
  const armored = content;
  process.stdout.write(`wrote ${p.file} (${p.name}, key id ${p.keyId}${how.recipients ? `, to ${how.recipients.length} public key(s)` : ''})\n`);
  if (opts.qr) {
    writeNewFile(p.qrFile, renderQrPage({ name: p.name, keyId: p.keyId, armored, fileName: path.basename(p.file), createdAt }));
    process.stdout.write(`wrote ${p.qrFile} (printable QR page)\n`);
  }
}

export function readBackupFile(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new CliError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

export interface OpenedSecret {
  name: MasterSecret;
  value: string;
  keyId: string;
}

/** `--decrypt-with gpg`: the operator's own gpg opens the backup (a key on a hardware token). */
export const WITH_GPG = Symbol('decrypt with gpg');
/** How a backup is opened: its passphrase (or KeePass master passphrase), or WITH_GPG. */
export type Unlock = string | typeof WITH_GPG;

/**
 * How to open `file` (read as `data`), for verify-backup and deploy: `--decrypt-with gpg`, or the
 * passphrase from `passphraseFile` or asked without echo. A backup made with --recipient without
 * `--decrypt-with gpg`, or a KeePass file with it, is a usage error before any prompt.
 */
export async function readUnlock(file: string, data: Uint8Array, opts: { decryptWith?: string; passphraseFile?: string }): Promise<Unlock> {
  const kdbx = isKdbxData(data);
  if (opts.decryptWith !== undefined) {
    if (opts.decryptWith !== 'gpg') throw new CliError('--decrypt-with takes gpg (the only program it hands decryption to)');
    if (kdbx) throw new CliError(`${file} is a KeePass database: open it with its master passphrase, not --decrypt-with gpg`);
    if (opts.passphraseFile !== undefined) throw new CliError('with --decrypt-with gpg, gpg asks for what it needs: drop --passphrase-file');
    return WITH_GPG;
  }
  if (!kdbx && (await encryptedToKeysOnly(data))) {
    throw new CliError(
      `${file} is encrypted to OpenPGP public keys (backup-secrets --recipient): add --decrypt-with gpg, so your gpg (and hardware key) opens it`,
    );
  }
  return readBackupPassphrase(opts.passphraseFile, kdbx ? 'KeePass master passphrase' : 'Backup passphrase');
}

/** Decrypts a backup file in memory and checks each secret in it; prints name and key id, never the key. */
export async function openBackup(file: string, unlock: Unlock, data = readBackupFile(file)): Promise<OpenedSecret[]> {
  const { entries, label } =
    unlock === WITH_GPG ? await decryptWithGpg(file, data) : isKdbxData(data) ? await readKdbx(data, unlock) : await decryptBackup(data, unlock);
  const found: OpenedSecret[] = [];
  for (const entry of entries) {
    const problem = await secretProblem(entry.name, entry.value);
    if (problem) throw new CliError(`the backup decrypted, but ${problem}`);
    const keyId = await keyIdOfSecret(entry.name, entry.value);
    found.push({ name: entry.name, value: entry.value, keyId });
    process.stdout.write(`${file}: ${entry.name}, key id ${keyId}\n`);
    if (label.keyId && entries.length === 1 && (label.keyId !== keyId || label.name !== entry.name)) {
      process.stdout.write(`warning: the file's label says ${label.name} key id ${label.keyId}; its content is what counts\n`);
    }
  }
  return found;
}

/** Opens a backup (as `openBackup`) and returns the `name` secret in it; a backup without one is refused. */
export async function openBackupOf(file: string, passphrase: Unlock, name: MasterSecret): Promise<OpenedSecret> {
  const found = (await openBackup(file, passphrase)).find((e) => e.name === name);
  if (!found) throw new CliError(`${file} holds no ${name}`);
  return found;
}

const VERDICT: Record<Standing, (name: string, source: string) => string> = {
  current: (name, source) => `CURRENT: this backup holds the ${name} in use now (${source}).`,
  previous: (name, source) => `PREVIOUS: this backup holds a previous ${name}, still listed in ${name}_PREVIOUS (${source}), not the one in use now.`,
  unknown: (name, source) => `UNKNOWN: this backup holds a ${name} that is neither the current nor a previous key (${source}).`,
};

/** verify-backup's verdict for opened secrets against known key ids: prints it, returns the exit code (worst standing). */
export function judgeBackup(found: OpenedSecret[], known: KnownKeys): number {
  let exit = 0;
  for (const { name, keyId } of found) {
    const standing = standingOf(known, name, keyId);
    process.stdout.write(`${VERDICT[standing](name, known.source)}\n`);
    if (standing !== 'current') process.stdout.write(`  the ${name} in use has key id ${known.keys[name]!.current}\n`);
    exit = Math.max(exit, STANDING_EXIT[standing]);
  }
  return exit;
}

/**
 * Opens a backup just written and requires it to hold exactly `expected`
 * (verify-backup's check against the key about to be installed). Returns the key.
 */
export async function verifyBackupHolds(file: string, passphrase: Unlock, name: MasterSecret, expectedKeyId: string): Promise<string> {
  const found = await openBackup(file, passphrase);
  const known: KnownKeys = { source: `the new ${name}, key id ${expectedKeyId}`, keys: { [name]: { current: expectedKeyId, previous: [] } }, problems: {} };
  const mine = found.filter((f) => f.name === name);
  if (mine.length !== 1 || judgeBackup(mine, known) !== 0)
    throw new CliError(`${file} does not hold the ${name} with key id ${expectedKeyId}; nothing was installed`, 1);
  return mine[0]!.value;
}
