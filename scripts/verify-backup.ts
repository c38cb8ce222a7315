/**
 * verify-backup FILE: proves a backup is the key in use. Decrypts it in
 * memory, prints its key id, and compares that with a running vault's
 * `GET /api/health` (default http://127.0.0.1:8787, or `--url`) or with a
 * `.dev.vars` file (`--dev-vars[=PATH]`). Never prints the key.
 * Opens gpg backups made with a passphrase, KeePass `.kdbx` files (master
 * passphrase), and with `--decrypt-with gpg` hands decryption to the
 * operator's own gpg (backups made with `--recipient`, keys on a token).
 *
 * Exit codes: 0 the current key, 3 a previous key (still in *_PREVIOUS),
 * 4 unknown to the vault, 2 the backup could not be read or opened
 * (bad usage, wrong passphrase), 1 nothing to compare with (vault unreachable,
 * invalid configuration, .dev.vars missing). A file holding several secrets
 * exits with the worst standing among them (unknown, then previous).
 *
 * @example
 *   npm run verify-backup -- /media/usb/arena-vault-SECRET_KEY-0123456789abcdef.asc --url https://vault.example.org
 */
import { CliError, parseCli, runMain } from './lib/cli.ts';
import { judgeBackup, openBackup, readBackupFile, readUnlock } from './lib/backup-files.ts';
import { devVarsPath } from './lib/dev-vars.ts';
import { knownKeysFromDevVars, knownKeysFromHealth, type KnownKeys } from './lib/known-keys.ts';
import { LOCAL_VAULT_URL } from './lib/vault-health.ts';

const spec = {
  usage: 'npm run verify-backup -- FILE [--passphrase-file FILE | --decrypt-with gpg] [--url URL | --dev-vars[=PATH]]',
  description: [
    'Decrypts a backup made by backup-secrets (or any gpg --symmetric file of NAME=value lines) in memory,',
    'or reads a KeePass .kdbx backup, or (--decrypt-with gpg) has your gpg decrypt one made with --recipient,',
    'prints its key id, and says whether it is the key the vault uses now, a previous key, or unknown.',
    `Compares with GET /api/health of a running vault (default ${LOCAL_VAULT_URL}) or with .dev.vars.`,
    'Exit codes: 0 current key, 3 previous key, 4 unknown key, 2 backup unreadable (or wrong passphrase),',
    '1 nothing to compare with (vault unreachable, invalid configuration, .dev.vars missing).',
  ].join('\n'),
  flags: { 'passphrase-file': 'string', 'decrypt-with': 'string', url: 'string', 'dev-vars': 'optional-string' },
  help: {
    'passphrase-file': 'read the passphrase (or KeePass master passphrase) from the first line of FILE instead of asking',
    'decrypt-with': 'gpg: hand decryption to your own gpg --decrypt (its agent, pinentry and hardware key), for backups made with --recipient',
    url: `the vault to compare with (its /api/health); default ${LOCAL_VAULT_URL}`,
    'dev-vars': 'compare with a .dev.vars file instead (default ./.dev.vars; another file as --dev-vars=PATH)',
  },
  positionals: true,
} as const;

async function main(): Promise<number> {
  const { values, positionals } = parseCli(process.argv.slice(2), spec);
  if (positionals.length !== 1) {
    const hint = values['dev-vars'] === '' && positionals.length === 2 ? ' (give a .dev.vars path as --dev-vars=PATH)' : '';
    throw new CliError(`expected exactly one backup FILE${hint}`);
  }
  if (values.url !== undefined && values['dev-vars'] !== undefined) throw new CliError('compare with either --url or --dev-vars, not both');
  const file = positionals[0]!;
  const data = readBackupFile(file);
  const unlock = await readUnlock(file, data, { decryptWith: values['decrypt-with'], passphraseFile: values['passphrase-file'] });
  const found = await openBackup(file, unlock, data);
  const known: KnownKeys =
    values['dev-vars'] !== undefined
      ? await knownKeysFromDevVars(values['dev-vars'] || devVarsPath())
      : await knownKeysFromHealth(values.url || LOCAL_VAULT_URL);
  return judgeBackup(found, known);
}

runMain('verify-backup', main);
