/**
 * backup-secrets: writes each master secret to its own passphrase-encrypted
 * OpenPGP file (AES-256, armored) that a plain `gpg --decrypt` opens, and
 * with `--qr` a printable QR page of each. File names and headers carry the
 * key id, never the key; the plaintext stays in memory (see lib/secret-backup.ts).
 *
 * The secrets come from `.dev.vars` (default), the environment (`--from env`)
 * or hidden prompts (`--from prompt`). The passphrase is asked twice without
 * echo, or read from the first line of `--passphrase-file`; weak ones are
 * refused (rule in lib/passphrase.ts). Existing files are never overwritten.
 *
 * @example
 *   npm run backup-secrets -- --from env --only credential-key --out /media/usb --qr
 */
import { linkSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { CliError, parseCli, runMain } from './lib/cli.ts';
import { devVarsPath, readDevVars } from './lib/dev-vars.ts';
import { keyIdOfSecret, secretProblem, selectSecrets, type MasterSecret } from './lib/master-secrets.ts';
import { assessPassphrase, readPassphraseFile } from './lib/passphrase.ts';
import { promptHidden } from './lib/prompt.ts';
import { renderQrPage } from './lib/qr-page.ts';
import { backupFileName, encryptBackup } from './lib/secret-backup.ts';

const spec = {
  usage:
    'npm run backup-secrets -- --out DIR [--from dev-vars|env|prompt] [--dev-vars PATH] [--only secret-key|credential-key] [--passphrase-file FILE] [--qr]',
  description: [
    'Encrypts SECRET_KEY and CREDENTIAL_ENCRYPTION_KEY, each into its own file in DIR:',
    '  arena-vault-<NAME>-<key id>.asc   (OpenPGP, AES-256, passphrase; open with: gpg --decrypt FILE)',
    '  arena-vault-<NAME>-<key id>.qr.svg with --qr (printable page of QR codes)',
    'The passphrase is asked twice without echo and must be at least 12 characters with an estimated',
    'strength (zxcvbn-ts) of 50 bits or more (see docs/operations/secrets.md). Existing files are never overwritten.',
    'Keep the two files in different places, and the passphrase apart from both.',
  ].join('\n'),
  flags: { out: 'string', from: 'string', 'dev-vars': 'string', only: 'string', 'passphrase-file': 'string', qr: 'boolean' },
  help: {
    out: 'directory to write the backups to (created 0700 if missing); required',
    from: 'where the secrets come from: dev-vars (default), env (environment variables) or prompt (asked without echo)',
    'dev-vars': 'the .dev.vars file to read with --from dev-vars (default: ./.dev.vars)',
    only: 'back up just one secret: secret-key or credential-key (to keep the two on different media)',
    'passphrase-file': 'read the passphrase from the first line of FILE instead of asking (automation)',
    qr: 'also write a printable SVG page per secret with the backup as QR codes and the key id in clear',
  },
} as const;

type Source = 'dev-vars' | 'env' | 'prompt';

async function readSecrets(source: Source, names: MasterSecret[], devVarsFile: string): Promise<Map<MasterSecret, string>> {
  const values = new Map<MasterSecret, string>();
  const vars = source === 'dev-vars' ? readDevVars(devVarsFile) : null;
  if (source === 'dev-vars' && !vars) throw new CliError(`${devVarsFile} not found (use --from env or --from prompt for production keys)`);
  for (const name of names) {
    const where = source === 'dev-vars' ? devVarsFile : source === 'env' ? 'the environment' : 'the prompt';
    const value =
      source === 'prompt' ? await promptHidden(`${name} (input hidden): `) : ((source === 'env' ? process.env[name] : vars![name]) ?? '');
    if (!value.trim()) throw new CliError(`no ${name} in ${where}`);
    const problem = await secretProblem(name, value.trim());
    if (problem) throw new CliError(`${problem} (read from ${where}); nothing was written`);
    values.set(name, value.trim());
  }
  return values;
}

async function readPassphrase(file: string | undefined): Promise<string> {
  const passphrase = file ? readPassphraseFile(file) : await promptHidden('Backup passphrase (input hidden): ');
  const { problem } = assessPassphrase(passphrase);
  if (problem) throw new CliError(`${problem}; nothing was written`);
  if (!file && (await promptHidden('Same passphrase again: ')) !== passphrase) {
    throw new CliError('the two passphrases differ; nothing was written');
  }
  return passphrase;
}

/** Writes a new file atomically and never over an existing one (link fails on EEXIST). */
function writeNewFile(file: string, content: string): void {
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

async function main(): Promise<number> {
  const { values } = parseCli(process.argv.slice(2), spec);
  if (!values.out) throw new CliError('say where the backups go: --out DIR (ideally removable media kept offline)');
  const source = (values.from ?? 'dev-vars') as Source;
  if (!['dev-vars', 'env', 'prompt'].includes(source)) throw new CliError('--from takes dev-vars, env or prompt');
  if (values['dev-vars'] !== undefined && source !== 'dev-vars') throw new CliError('--dev-vars only goes with --from dev-vars');
  const names = selectSecrets(values.only);
  const secrets = await readSecrets(source, names, values['dev-vars'] || devVarsPath());

  // Check every target before writing anything, so a refusal leaves no half-done backup.
  const planned = await Promise.all(
    names.map(async (name) => {
      const keyId = await keyIdOfSecret(name, secrets.get(name)!);
      const file = path.join(values.out!, backupFileName(name, keyId));
      return { name, keyId, file, qrFile: file.replace(/\.asc$/, '.qr.svg') };
    }),
  );
  for (const p of planned) {
    for (const f of values.qr ? [p.file, p.qrFile] : [p.file]) if (existsSync(f)) throw new CliError(`${f} already exists; not overwriting it`);
  }
  const passphrase = await readPassphrase(values['passphrase-file']);

  try {
    mkdirSync(values.out, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new CliError(`cannot create ${values.out}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, 1);
  }
  const createdAt = new Date();
  for (const p of planned) {
    const armored = await encryptBackup({ name: p.name, value: secrets.get(p.name)!, keyId: p.keyId, passphrase, date: createdAt });
    writeNewFile(p.file, armored);
    process.stdout.write(`wrote ${p.file} (${p.name}, key id ${p.keyId})\n`);
    if (values.qr) {
      writeNewFile(p.qrFile, renderQrPage({ name: p.name, keyId: p.keyId, armored, fileName: path.basename(p.file), createdAt }));
      process.stdout.write(`wrote ${p.qrFile} (printable QR page)\n`);
    }
  }
  if (planned.length > 1) process.stdout.write('Store the two files in different places, and the passphrase apart from both.\n');
  process.stdout.write(`Check a backup with: npm run verify-backup -- ${planned[0]!.file}\n`);
  return 0;
}

runMain('backup-secrets', main);
