/**
 * Writing and checking backup files, for every script that makes or reads
 * backups (backup-secrets, verify-backup, deploy-first, rotate-secret-key):
 *
 * - where backups may go: each secret in its own directory, the directories
 *   neither equal nor nested, and none inside this checkout (a key file there
 *   is one `git add .` or `COPY . .` away from leaking);
 * - the new-backup passphrase (strength rule in passphrase.ts, asked twice);
 * - writing one backup file (never over an existing one) and its QR page;
 * - the check verify-backup makes: decrypt in memory, key id, standing.
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
import { renderQrPage } from './qr-page.ts';
import { backupFileName, decryptBackup, encryptBackup } from './secret-backup.ts';
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

/**
 * Refuses backup directories inside the checkout, and, for both secrets, the
 * same directory or one inside the other (quoting the runbook rule).
 */
export function checkBackupDirs(dirs: Partial<Record<MasterSecret, string>>): void {
  const checkout = resolvedPath(PROJECT_ROOT);
  const entries = Object.entries(dirs) as [MasterSecret, string][];
  for (const [name, dir] of entries) {
    if (inside(resolvedPath(dir), checkout)) {
      throw new CliError(`the backup directory for ${name} (${dir}) is inside this checkout (${PROJECT_ROOT}): a key file there can reach git or an image; use removable media or a directory outside it`);
    }
  }
  if (entries.length === 2) {
    const [a, b] = entries.map(([, d]) => resolvedPath(d)) as [string, string];
    if (inside(a, b) || inside(b, a)) {
      throw new CliError(`"${SEPARATE_LOCATIONS_RULE}" (docs/operations/secrets.md): ${entries[0]![1]} and ${entries[1]![1]} are the same place or one is inside the other`);
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
export function writeNewFile(file: string, content: string): void {
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
}

/** Where the backup of `value` goes in `dir`; refuses when a target exists already. */
export async function planBackup(name: MasterSecret, value: string, dir: string, qr: boolean): Promise<PlannedBackup> {
  const keyId = await keyIdOfSecret(name, value);
  const file = path.join(dir, backupFileName(name, keyId));
  const planned = { name, keyId, file, qrFile: file.replace(/\.asc$/, '.qr.svg') };
  for (const f of qr ? [planned.file, planned.qrFile] : [planned.file]) if (existsSync(f)) throw new CliError(`${f} already exists; not overwriting it`);
  return planned;
}

/** Encrypts `value` in memory and writes the planned backup (and with `qr` its QR page); prints what it wrote. */
export async function writeBackup(p: PlannedBackup, value: string, passphrase: string, opts: { qr?: boolean; createdAt?: Date } = {}): Promise<void> {
  const dir = path.dirname(p.file);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CliError(`cannot create ${dir}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, 1);
  }
  const createdAt = opts.createdAt ?? new Date();
  const armored = await encryptBackup({ name: p.name, value, keyId: p.keyId, passphrase, date: createdAt });
  writeNewFile(p.file, armored);
  process.stdout.write(`wrote ${p.file} (${p.name}, key id ${p.keyId})\n`);
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

/** Decrypts a backup file in memory and checks each secret in it; prints name and key id, never the key. */
export async function openBackup(file: string, passphrase: string, data = readBackupFile(file)): Promise<OpenedSecret[]> {
  const { entries, label } = await decryptBackup(data, passphrase);
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
export async function openBackupOf(file: string, passphrase: string, name: MasterSecret): Promise<OpenedSecret> {
  const found = (await openBackup(file, passphrase)).find((e) => e.name === name);
  if (!found) throw new CliError(`${file} holds no ${name}`);
  return found;
}

const VERDICT: Record<Standing, (name: string, source: string) => string> = {
  current: (name, source) => `CURRENT: this backup holds the ${name} in use now (${source}).`,
  previous: (name, source) =>
    `PREVIOUS: this backup holds a previous ${name}, still listed in ${name}_PREVIOUS (${source}), not the one in use now.`,
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
export async function verifyBackupHolds(file: string, passphrase: string, name: MasterSecret, expectedKeyId: string): Promise<string> {
  const found = await openBackup(file, passphrase);
  const known: KnownKeys = { source: `the new ${name}, key id ${expectedKeyId}`, keys: { [name]: { current: expectedKeyId, previous: [] } }, problems: {} };
  const mine = found.filter((f) => f.name === name);
  if (mine.length !== 1 || judgeBackup(mine, known) !== 0) throw new CliError(`${file} does not hold the ${name} with key id ${expectedKeyId}; nothing was installed`, 1);
  return mine[0]!.value;
}
