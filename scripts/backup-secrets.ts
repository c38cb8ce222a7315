/**
 * backup-secrets: writes each master secret to its own passphrase-encrypted
 * OpenPGP file (AES-256, armored) that a plain `gpg --decrypt` opens, and
 * with `--qr` a printable QR page of each. File names and headers carry the
 * key id, never the key; the plaintext stays in memory (see lib/secret-backup.ts).
 *
 * With `--recipient KEY` (repeatable) the `.asc` files are encrypted to
 * those OpenPGP public keys instead, with no passphrase, so a hardware key
 * opens them (lib/recipient-keys.ts). A destination that is a `.kdbx` path
 * gets a new KeePass KDBX 4 database with the secret as an entry, under the
 * passphrase as master passphrase (lib/kdbx-backup.ts).
 *
 * The secrets come from `.dev.vars` (default), the environment (`--from env`)
 * or hidden prompts (`--from prompt`). The passphrase is asked twice without
 * echo, or read from the first line of `--passphrase-file`; weak ones are
 * refused (rule in lib/passphrase.ts). Existing files are never overwritten.
 *
 * @example
 *   npm run backup-secrets -- --from env --only credential-key --out /media/usb --qr
 */
import { CliError, parseCli, runMain } from './lib/cli.ts';
import { isKdbxPath } from './lib/kdbx-backup.ts';
import { checkBackupDirs, planBackup, readNewPassphrase, SEPARATE_LOCATIONS_RULE, writeBackup } from './lib/backup-files.ts';
import { devVarsPath, readDevVars } from './lib/dev-vars.ts';
import { generateSecret, secretProblem, selectSecrets, type MasterSecret } from './lib/master-secrets.ts';
import { promptHidden } from './lib/prompt.ts';
import { readRecipients, recipientNames } from './lib/recipient-keys.ts';

const spec = {
  usage:
    'npm run backup-secrets -- (--only secret-key|credential-key --out DIR|FILE.kdbx | --secret-key-out DIR|FILE.kdbx --credential-key-out DIR|FILE.kdbx) [--from dev-vars|env|prompt|new] [--dev-vars PATH] [--recipient KEY ...] [--passphrase-file FILE] [--qr]',
  description: [
    'Encrypts SECRET_KEY and CREDENTIAL_ENCRYPTION_KEY, each into its own file in its own directory:',
    '  arena-vault-<NAME>-<key id>.asc   (OpenPGP, AES-256, passphrase; open with: gpg --decrypt FILE)',
    '  arena-vault-<NAME>-<key id>.qr.svg with --qr (printable page of QR codes)',
    'With --recipient KEY (repeatable) the .asc files are encrypted to those OpenPGP public keys (a hardware',
    "key's), with no passphrase; a key that cannot encrypt (expired, revoked, sign-only) is refused.",
    'A destination ending in .kdbx is a new KeePass (KDBX 4, Argon2id) database with the secret as an entry',
    '"arena-vault <NAME> <key id>", under the passphrase as its master passphrase.',
    'The passphrase is asked twice without echo and must be at least 12 characters with an estimated',
    'strength (zxcvbn-ts) of 50 bits or more (see docs/operations/secrets.md). Existing files are never overwritten.',
    `${SEPARATE_LOCATIONS_RULE} So: one secret with --only and --out, or both with two different`,
    'directories (neither inside the other, none inside this checkout). Keep the passphrase apart from both.',
  ].join('\n'),
  flags: {
    out: 'string',
    'secret-key-out': 'string',
    'credential-key-out': 'string',
    from: 'string',
    'dev-vars': 'string',
    only: 'string',
    'passphrase-file': 'string',
    qr: 'boolean',
    recipient: 'strings',
  },
  help: {
    out: 'with --only: the directory to write that backup to (created 0700 if missing), or a new FILE.kdbx',
    'secret-key-out': 'the directory (or new FILE.kdbx) for the SECRET_KEY backup (both secrets: give both places)',
    'credential-key-out': 'the directory (or new FILE.kdbx) for the CREDENTIAL_ENCRYPTION_KEY backup, another place than the SECRET_KEY one',
    from: 'where the secrets come from: dev-vars (default), env (environment variables), prompt (asked without echo), or new (generate a new key in memory: only its backup is written)',
    'dev-vars': 'the .dev.vars file to read with --from dev-vars (default: ./.dev.vars)',
    only: 'back up just one secret: secret-key or credential-key (to keep the two on different media)',
    'passphrase-file': 'read the passphrase from the first line of FILE instead of asking (automation)',
    qr: 'also write a printable SVG page per secret with the backup as QR codes and the key id in clear',
    recipient:
      'encrypt the .asc backups to this OpenPGP public key instead of a passphrase: a fingerprint in your gpg keyring or an armored key file; repeat for several keys',
  },
} as const;

type Source = 'dev-vars' | 'env' | 'prompt' | 'new';

async function readSecrets(source: Source, names: MasterSecret[], devVarsFile: string): Promise<Map<MasterSecret, string>> {
  const values = new Map<MasterSecret, string>();
  const vars = source === 'dev-vars' ? readDevVars(devVarsFile) : null;
  if (source === 'dev-vars' && !vars) throw new CliError(`${devVarsFile} not found (use --from env or --from prompt for production keys)`);
  for (const name of names) {
    if (source === 'new') {
      // A fresh key, generated in memory: only its encrypted backup is ever written (step 1 of a rotation).
      values.set(name, generateSecret(name));
      continue;
    }
    const where = source === 'dev-vars' ? devVarsFile : source === 'env' ? 'the environment' : 'the prompt';
    const value = source === 'prompt' ? await promptHidden(`${name} (input hidden): `) : ((source === 'env' ? process.env[name] : vars![name]) ?? '');
    if (!value.trim()) throw new CliError(`no ${name} in ${where}`);
    const problem = await secretProblem(name, value.trim());
    if (problem) throw new CliError(`${problem} (read from ${where}); nothing was written`);
    values.set(name, value.trim());
  }
  return values;
}

/** Each secret's directory, from --only + --out or the two per-secret options. */
function destinations(values: { out?: string; only?: string; 'secret-key-out'?: string; 'credential-key-out'?: string }): Map<MasterSecret, string> {
  const perSecret = { SECRET_KEY: values['secret-key-out'], CREDENTIAL_ENCRYPTION_KEY: values['credential-key-out'] };
  if (values.only !== undefined) {
    const [name] = selectSecrets(values.only) as [MasterSecret];
    const dir = values.out ?? perSecret[name];
    if (!dir) throw new CliError('say where the backup goes: --out DIR (ideally removable media kept offline)');
    if (values.out && perSecret[name]) throw new CliError('give the directory once: --out DIR');
    const other = name === 'SECRET_KEY' ? 'credential-key-out' : 'secret-key-out';
    if (values[other]) throw new CliError(`--only ${values.only} backs up one secret: drop --${other}`);
    return new Map([[name, dir]]);
  }
  if (values.out !== undefined) {
    throw new CliError(
      `"${SEPARATE_LOCATIONS_RULE}" (docs/operations/secrets.md): back up one secret with --only and --out, or both with --secret-key-out DIR and --credential-key-out DIR (two different places)`,
    );
  }
  if (!perSecret.SECRET_KEY || !perSecret.CREDENTIAL_ENCRYPTION_KEY) {
    throw new CliError('say where the backups go: --secret-key-out DIR and --credential-key-out DIR (two different places), or --only NAME --out DIR');
  }
  return new Map(Object.entries(perSecret) as [MasterSecret, string][]);
}

async function main(): Promise<number> {
  const { values } = parseCli(process.argv.slice(2), spec);
  const dirs = destinations(values);
  checkBackupDirs(Object.fromEntries(dirs));
  const source = (values.from ?? 'dev-vars') as Source;
  if (!['dev-vars', 'env', 'prompt', 'new'].includes(source)) throw new CliError('--from takes dev-vars, env, prompt or new');
  if (values['dev-vars'] !== undefined && source !== 'dev-vars') throw new CliError('--dev-vars only goes with --from dev-vars');
  const names = [...dirs.keys()];
  const kdbx = [...dirs.values()].filter(isKdbxPath);
  const recipientSpecs = values.recipient ?? [];
  if (recipientSpecs.length && kdbx.length === dirs.size) {
    throw new CliError('--recipient encrypts .asc backups to public keys; a .kdbx destination is opened by its master passphrase instead');
  }
  if (recipientSpecs.length && !kdbx.length && values['passphrase-file'] !== undefined) {
    throw new CliError('--recipient backups have no passphrase: drop --passphrase-file');
  }
  // Every key checked before any secret is read or file written: one that cannot encrypt is refused by name.
  const recipients = recipientSpecs.length ? await readRecipients(recipientSpecs) : null;
  const secrets = await readSecrets(source, names, values['dev-vars'] || devVarsPath());

  // Check every target before writing anything, so a refusal leaves no half-done backup.
  const planned = await Promise.all(names.map((name) => planBackup(name, secrets.get(name)!, dirs.get(name)!, Boolean(values.qr))));
  const passphrase = !recipients || kdbx.length ? await readNewPassphrase(values['passphrase-file']) : null;
  if (recipients) process.stdout.write(`Encrypting the .asc backups to: ${recipientNames(recipients).join(', ')}\n`);
  const createdAt = new Date();
  for (const p of planned) {
    const lock = p.format === 'asc' && recipients ? { recipients } : passphrase!;
    await writeBackup(p, secrets.get(p.name)!, lock, { qr: values.qr, createdAt });
  }
  if (planned.length > 1) process.stdout.write(`Keep the two places apart${passphrase ? ', and the passphrase apart from both' : ''}.\n`);
  for (const p of planned) {
    const gpg = p.format === 'asc' && recipients ? ' --decrypt-with gpg' : '';
    process.stdout.write(`Check a backup with: npm run verify-backup -- ${p.file}${gpg}\n`);
  }
  return 0;
}

runMain('backup-secrets', main);
