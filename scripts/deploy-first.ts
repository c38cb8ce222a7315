/**
 * deploy-first: the first production deploy as one guided, resumable flow
 * (docs/operations/secrets.md, "First deploy").
 *
 *  1. database   create (or find) the D1 database named in wrangler.toml and
 *                write its id into wrangler.toml;
 *  2. migrations `wrangler d1 migrations apply DB --remote`;
 *  3. secrets    for each master secret not yet installed on the Worker:
 *                generate it in memory, write its gpg backup into its own
 *                operator-named directory (two different places, neither
 *                inside the other nor inside this checkout), verify both
 *                backups (decrypt from disk, key id = the key about to be
 *                installed), and only then one `wrangler secret bulk` fed
 *                through stdin;
 *  4. deploy     `wrangler deploy`;
 *  5. admin      `bootstrap-admin --remote --if-no-admin`.
 *
 * Resumable: progress goes to `.wrangler/deploy-first.json` beside
 * wrangler.toml (git-ignored; it holds key ids and backup paths, never a key).
 * A rerun skips finished steps. A secret already installed
 * (`wrangler secret list`) is never generated again: the script asks for its
 * backup instead and opens it with the passphrase (and, when the key id was
 * recorded at install, checks it matches). A backup written by a run that
 * stopped before installing is installed as it is, not replaced.
 *
 * Exit codes: 0 done, 1 a step failed (rerun to resume), 2 bad usage.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CliError, parseCli, runMain } from './lib/cli.ts';
import { checkBackupDirs, openBackupOf, planBackup, readBackupPassphrase, readNewPassphrase, verifyBackupHolds, writeBackup } from './lib/backup-files.ts';
import { generateSecret, MASTER_SECRETS, type MasterSecret } from './lib/master-secrets.ts';
import { promptLine } from './lib/prompt.ts';
import { PROJECT_ROOT, runWrangler, secretBulk, secretNames } from './lib/wrangler.ts';

const spec = {
  usage:
    'npm run deploy:first -- --secret-key-dir DIR --credential-key-dir DIR [--passphrase-file FILE] [--qr] [--config wrangler.toml] [--secret-key-backup FILE] [--credential-key-backup FILE]',
  description: [
    'The first production deploy, resumable: D1 database (id written into wrangler.toml), remote migrations,',
    'both secrets generated in memory and backed up with gpg into two different directories outside this checkout,',
    'both backups verified, then `wrangler secret bulk` (stdin), `wrangler deploy` and `bootstrap-admin --remote`.',
    'Rerun the same command after a failure: it resumes where it stopped. A secret already on the Worker is never',
    'generated again; its backup is asked for instead. Progress (no secret) is kept in .wrangler/deploy-first.json.',
  ].join('\n'),
  flags: {
    'secret-key-dir': 'string',
    'credential-key-dir': 'string',
    'passphrase-file': 'string',
    qr: 'boolean',
    config: 'string',
    'secret-key-backup': 'string',
    'credential-key-backup': 'string',
  },
  help: {
    'secret-key-dir': 'where the SECRET_KEY backup goes (e.g. one USB stick); outside this checkout',
    'credential-key-dir': 'where the CREDENTIAL_ENCRYPTION_KEY backup goes: another place, not inside the first',
    'passphrase-file': 'the backup passphrase is the first line of FILE (otherwise asked twice without echo)',
    qr: 'also write a printable QR page beside each backup',
    config: 'the wrangler config to deploy (default ./wrangler.toml)',
    'secret-key-backup': 'on a rerun: the backup of the SECRET_KEY already installed (default: the one this flow wrote)',
    'credential-key-backup': 'on a rerun: the backup of the CREDENTIAL_ENCRYPTION_KEY already installed (default: the one this flow wrote)',
  },
} as const;

const STEPS = ['database', 'migrations', 'secrets', 'deploy', 'admin'] as const;
type Step = (typeof STEPS)[number];

const FLAG: Record<MasterSecret, { dir: 'secret-key-dir' | 'credential-key-dir'; backup: 'secret-key-backup' | 'credential-key-backup' }> = {
  SECRET_KEY: { dir: 'secret-key-dir', backup: 'secret-key-backup' },
  CREDENTIAL_ENCRYPTION_KEY: { dir: 'credential-key-dir', backup: 'credential-key-backup' },
};

/** What the flow remembers between runs: never a key, only ids and paths. */
interface Progress {
  done: Step[];
  database_id?: string;
  backups: Partial<Record<MasterSecret, { file: string; key_id: string }>>;
  installed: Partial<Record<MasterSecret, string>>;
}

class ProgressFile {
  constructor(readonly file: string) {}

  load(): Progress {
    if (!existsSync(this.file)) return { done: [], backups: {}, installed: {} };
    try {
      const p = JSON.parse(readFileSync(this.file, 'utf8')) as Progress;
      return { done: p.done ?? [], database_id: p.database_id, backups: p.backups ?? {}, installed: p.installed ?? {} };
    } catch {
      throw new CliError(`${this.file} is not readable progress; move it away to start over`, 1);
    }
  }

  save(p: Progress): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp-${process.pid}`;
    writeFileSync(tmp, `${JSON.stringify(p, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

/** The [[d1_databases]] block of binding DB in wrangler.toml: its text span and database_name. */
function dbBlock(toml: string): { start: number; end: number; name: string } {
  const re = /^\[\[d1_databases\]\][^\n]*\n([\s\S]*?)(?=^\s*\[|$(?![\s\S]))/gm;
  for (let m = re.exec(toml); m; m = re.exec(toml)) {
    const body = m[1] ?? '';
    if (!/^\s*binding\s*=\s*"DB"/m.test(body)) continue;
    const name = /^\s*database_name\s*=\s*"([^"]+)"/m.exec(body)?.[1];
    if (!name) throw new CliError('wrangler.toml: the D1 binding DB has no database_name');
    return { start: m.index, end: m.index + m[0].length, name };
  }
  throw new CliError('wrangler.toml has no [[d1_databases]] block with binding = "DB"');
}

function writeDatabaseId(config: string, id: string): void {
  const toml = readFileSync(config, 'utf8');
  const b = dbBlock(toml);
  const block = toml.slice(b.start, b.end);
  const next = /^\s*database_id\s*=.*$/m.test(block)
    ? block.replace(/^(\s*)database_id\s*=.*$/m, `$1database_id = "${id}"`)
    : block.replace(/^(\s*database_name\s*=.*)$/m, `$1\ndatabase_id = "${id}"`);
  if (next === block) return;
  const tmp = `${config}.tmp-${process.pid}`;
  writeFileSync(tmp, toml.slice(0, b.start) + next + toml.slice(b.end));
  renameSync(tmp, config);
}

function listDatabases(): { uuid: string; name: string }[] {
  const out = runWrangler(['d1', 'list', '--json']);
  return JSON.parse(out.slice(out.indexOf('['))) as { uuid: string; name: string }[];
}

function stepDatabase(config: string, progress: Progress): void {
  const { name } = dbBlock(readFileSync(config, 'utf8'));
  let db = listDatabases().find((d) => d.name === name);
  if (db) console.log(`D1 database ${name} exists already (${db.uuid}).`);
  else {
    runWrangler(['d1', 'create', name]);
    db = listDatabases().find((d) => d.name === name);
    if (!db) throw new CliError(`wrangler d1 create ${name} ran, but wrangler d1 list does not show it`, 1);
    console.log(`Created the D1 database ${name} (${db.uuid}).`);
  }
  writeDatabaseId(config, db.uuid);
  progress.database_id = db.uuid;
  console.log(`Wrote its id into ${config}.`);
}

async function stepSecrets(values: Record<string, string | boolean | undefined>, progress: Progress, save: () => void): Promise<void> {
  const installed = new Set(secretNames());
  const passFile = values['passphrase-file'] as string | undefined;
  let passphrase: string | undefined;
  const openPassphrase = async (file: string) => {
    passphrase ??= await readBackupPassphrase(passFile, `Passphrase of ${path.basename(file)}`);
    return passphrase;
  };

  // Already on the Worker: never a second key; its backup must open, and match the recorded key id.
  for (const name of MASTER_SECRETS.filter((n) => installed.has(n))) {
    const file =
      (values[FLAG[name].backup] as string | undefined) ||
      progress.backups[name]?.file ||
      (await promptLine(`${name} is installed already. Path of its backup: `));
    if (!file) throw new CliError(`${name} is installed already: give its backup with --${FLAG[name].backup} FILE (a new key would orphan every credential)`);
    const opened = await openBackupOf(file, await openPassphrase(file), name);
    const recorded = progress.installed[name];
    if (recorded && recorded !== opened.keyId) {
      throw new CliError(`${file} holds ${name} key id ${opened.keyId}, but the Worker got key id ${recorded}: find the backup of the installed key`, 1);
    }
    if (!recorded)
      console.log(
        `warning: no record of which ${name} was installed; check with \`npm run verify-backup -- ${file} --url https://<your worker>\` once deployed`,
      );
    console.log(`${name} is installed already (key id ${opened.keyId}) and its backup opens: not generating another.`);
    progress.installed[name] = opened.keyId;
    progress.backups[name] ??= { file, key_id: opened.keyId };
  }

  const missing = MASTER_SECRETS.filter((n) => !installed.has(n));
  const toInstall: Partial<Record<MasterSecret, string>> = {};
  // Backed up by an earlier run that stopped before installing: install that key, not a new one.
  for (const name of missing.filter((n) => progress.backups[n])) {
    const { file, key_id } = progress.backups[name]!;
    toInstall[name] = await verifyBackupHolds(file, await openPassphrase(file), name, key_id);
    console.log(`Using the ${name} backed up by the last run (key id ${key_id}).`);
  }
  const fresh = missing.filter((n) => !progress.backups[n]);
  if (fresh.length) {
    const dirs: Partial<Record<MasterSecret, string>> = {};
    for (const name of MASTER_SECRETS) {
      const dir = fresh.includes(name) ? (values[FLAG[name].dir] as string | undefined) : progress.backups[name] && path.dirname(progress.backups[name]!.file);
      if (fresh.includes(name) && !dir)
        throw new CliError(`say where the ${name} backup goes: --${FLAG[name].dir} DIR (outside this checkout, another place than the other secret's)`);
      if (dir) dirs[name] = dir;
    }
    checkBackupDirs(dirs);
    const generated = Object.fromEntries(fresh.map((n) => [n, generateSecret(n)])) as Partial<Record<MasterSecret, string>>;
    const planned = await Promise.all(fresh.map((n) => planBackup(n, generated[n]!, dirs[n]!, Boolean(values.qr))));
    passphrase = await readNewPassphrase(passFile);
    for (const p of planned) {
      await writeBackup(p, generated[p.name]!, passphrase, { qr: Boolean(values.qr) });
      progress.backups[p.name] = { file: p.file, key_id: p.keyId };
      save();
    }
    // verify-backup's check on each file as written to disk, before anything reaches Cloudflare.
    for (const p of planned) toInstall[p.name] = await verifyBackupHolds(p.file, passphrase, p.name, p.keyId);
  }

  const names = Object.keys(toInstall) as MasterSecret[];
  if (names.length) {
    secretBulk(toInstall as Record<string, string>);
    for (const n of names) progress.installed[n] = progress.backups[n]!.key_id;
    console.log(`Installed ${names.join(' and ')} on the Worker with one wrangler secret bulk (stdin).`);
  }
}

function runBootstrapAdmin(): void {
  const res = spawnSync(
    process.execPath,
    ['--import', import.meta.resolve('tsx'), path.join(PROJECT_ROOT, 'scripts', 'bootstrap-admin.ts'), '--remote', '--if-no-admin'],
    {
      stdio: 'inherit',
      env: process.env,
    },
  );
  if (res.status !== 0) throw new CliError(`bootstrap-admin --remote failed (exit ${res.status}); fix that and rerun deploy:first`, 1);
}

runMain('deploy:first', async () => {
  const { values } = parseCli(process.argv.slice(2), spec);
  const config = path.resolve(values.config ?? 'wrangler.toml');
  if (!existsSync(config)) throw new CliError(`${config} not found (run from the repository root, or pass --config)`);
  // Every wrangler call below (and bootstrap-admin's) acts on this config.
  process.env.ARENA_VAULT_WRANGLER_CONFIG = config;
  // Refuse bad backup places before anything reaches Cloudflare.
  const given = Object.fromEntries(MASTER_SECRETS.filter((n) => values[FLAG[n].dir]).map((n) => [n, values[FLAG[n].dir] as string]));
  checkBackupDirs(given);
  const store = new ProgressFile(path.join(path.dirname(config), '.wrangler', 'deploy-first.json'));
  const progress = store.load();
  const save = () => store.save(progress);
  if (progress.done.length) console.log(`Resuming: done already: ${progress.done.join(', ')} (${store.file}).`);

  for (const step of STEPS) {
    if (progress.done.includes(step)) continue;
    console.log(`\n== ${step} ==`);
    try {
      if (step === 'database') stepDatabase(config, progress);
      else if (step === 'migrations') runWrangler(['d1', 'migrations', 'apply', 'DB', '--remote'], { input: 'y\n' });
      else if (step === 'secrets') await stepSecrets(values, progress, save);
      else if (step === 'deploy') process.stdout.write(runWrangler(['deploy']));
      else runBootstrapAdmin();
    } catch (e) {
      save();
      if (e instanceof CliError && e.code === 2) throw e;
      const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
      throw new CliError(`step ${step} failed: ${message}. Fix it and run \`npm run deploy:first\` again: it resumes here.`, 1);
    }
    progress.done.push(step);
    save();
  }

  console.log('\nFirst deploy complete. Backups:');
  for (const name of MASTER_SECRETS) {
    const b = progress.backups[name];
    if (b) console.log(`  ${name} (key id ${b.key_id}): ${b.file}`);
  }
  console.log('Keep the two apart, and the passphrase apart from both. Check each against the live vault:');
  console.log('  npm run verify-backup -- FILE --url https://<your worker>');
  return 0;
});
