/**
 * deploy: every production deploy after `deploy:first` (docs/operations/secrets.md,
 * "Upgrading"; README "Upgrading").
 *
 *  0. health     read the live vault's `/api/health` (`--url`): the key ids it runs under;
 *  1. backup     `--backup FILE` (a passphrase gpg file, a `--recipient` one with
 *                `--decrypt-with gpg`, or a KeePass `.kdbx`) must hold the
 *                CREDENTIAL_ENCRYPTION_KEY with the key id health reports; or
 *                `--no-backup-check`, a loud warning repeated at the end;
 *  2. migrations list the pending D1 migrations, then apply them remotely;
 *  3. deploy     record the version live now, then `wrangler deploy`;
 *  4. check      wait for `/api/health` to answer 200 with no errors (warnings
 *                printed) and the same key ids as before;
 *  5. rollback   when 3 or 4 fails and the live version changed: `wrangler rollback`
 *                to the recorded version, and say exactly what happened. D1
 *                migrations are never rolled back (each stays backward compatible
 *                for one version, so the old code runs on the new schema).
 *
 * Exit codes: 0 deployed and healthy, 1 refused or failed (the output says what
 * changed), 2 bad usage.
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import { CliError, parseCli, runMain } from './lib/cli.ts';
import { judgeBackup, openBackup, readBackupFile, readUnlock } from './lib/backup-files.ts';
import { judgeDeployedHealth, keysInUse, type KeysInUse } from './lib/deploy-health.ts';
import { knownKeysInHealth } from './lib/known-keys.ts';
import { fetchHealthResponse, healthUrl, vaultUrlOption, waitForHealth, waitMsOption } from './lib/vault-health.ts';
import { d1ApplyMigrations, liveVersionId, pendingMigrations, rollbackTo, runWrangler } from './lib/wrangler.ts';

const spec = {
  usage:
    'npm run deploy -- --url URL (--backup FILE [--passphrase-file FILE | --decrypt-with gpg] | --no-backup-check) [--config wrangler.toml] [--wait-seconds N]',
  description: [
    'Every production deploy after deploy:first: proves a backup of the CREDENTIAL_ENCRYPTION_KEY the Worker',
    'uses now (its key id against /api/health), lists and applies the pending D1 migrations remotely, runs',
    '`wrangler deploy`, then waits for /api/health to answer 200 with no errors and the same key ids. If the',
    'new version fails, `wrangler rollback` returns to the version that was live. D1 migrations are not rolled',
    'back: each must stay backward compatible for one version (docs/operations/secrets.md, "Upgrading").',
    'Exit codes: 0 deployed and healthy, 1 refused or failed (the output says what changed), 2 bad usage.',
  ].join('\n'),
  flags: {
    url: 'string',
    backup: 'string',
    'passphrase-file': 'string',
    'decrypt-with': 'string',
    'no-backup-check': 'boolean',
    config: 'string',
    'wait-seconds': 'string',
  },
  help: {
    url: 'the deployed vault, e.g. https://vault.example.org (its /api/health is read before and after)',
    backup: 'a backup of the CREDENTIAL_ENCRYPTION_KEY in use: a gpg .asc (passphrase or --recipient) or a KeePass .kdbx',
    'passphrase-file': 'the backup passphrase (or KeePass master passphrase) is the first line of FILE (otherwise asked)',
    'decrypt-with': 'gpg: hand the backup to your own gpg (a backup made with --recipient, a key on a hardware token)',
    'no-backup-check': 'deploy without proving a backup (a loud warning, repeated at the end)',
    config: 'the wrangler config to deploy (default ./wrangler.toml)',
    'wait-seconds': 'how long to wait for the new version to be healthy before rolling back (default 120)',
  },
} as const;

const SKIPPED_WARNING = (ids: KeysInUse) =>
  `WARNING: --no-backup-check: this deploy did NOT prove that a backup of the CREDENTIAL_ENCRYPTION_KEY in use (key id ${ids.credential}) exists. Without one, a lost key makes every stored credential unrecoverable. Check one now: npm run verify-backup -- FILE --url URL`;

/** Step 0: the key ids the live vault runs under; nothing to compare with is a refusal. */
async function keysBefore(url: string): Promise<{ ids: KeysInUse; body: Awaited<ReturnType<typeof fetchHealthResponse>>['body'] }> {
  let res;
  try {
    res = await fetchHealthResponse(url);
  } catch (e) {
    const cause = (e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    throw new CliError(`could not read ${healthUrl(url)} (${cause}); nothing was deployed`, 1);
  }
  const ids = keysInUse(res.body);
  if (!ids) throw new CliError(`${healthUrl(url)} reports no key ids (invalid configuration): fix the Worker's secrets first; nothing was deployed`, 1);
  return { ids, body: res.body };
}

/** Step 1: the backup must hold the CREDENTIAL_ENCRYPTION_KEY the vault uses now. */
async function proveBackup(
  file: string,
  values: { 'passphrase-file'?: string; 'decrypt-with'?: string },
  url: string,
  body: Parameters<typeof knownKeysInHealth>[0],
): Promise<void> {
  const data = readBackupFile(file);
  const unlock = await readUnlock(file, data, { decryptWith: values['decrypt-with'], passphraseFile: values['passphrase-file'] });
  const cred = (await openBackup(file, unlock, data)).filter((e) => e.name === 'CREDENTIAL_ENCRYPTION_KEY');
  const ids = keysInUse(body)!;
  if (cred.length !== 1)
    throw new CliError(`${file} holds no CREDENTIAL_ENCRYPTION_KEY: give the backup of the key id ${ids.credential}; nothing was deployed`, 1);
  if (judgeBackup(cred, knownKeysInHealth(body, healthUrl(url))) !== 0) {
    throw new CliError(`${file} is not a backup of the CREDENTIAL_ENCRYPTION_KEY the Worker uses now (key id ${ids.credential}); nothing was deployed`, 1);
  }
}

function step(title: string): void {
  console.log(`\n== ${title} ==`);
}

/** The first line of an error, safe to print (CliErrors and wrangler failures never carry a secret). */
function reason(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

runMain('deploy', async () => {
  const { values } = parseCli(process.argv.slice(2), spec);
  if (values.url === undefined) throw new CliError('say which vault to deploy and check: --url https://vault.example.org');
  const url = vaultUrlOption(values.url);
  if (values.backup === undefined && !values['no-backup-check']) {
    throw new CliError('give --backup FILE (a backup of the CREDENTIAL_ENCRYPTION_KEY in use), or --no-backup-check to skip that proof');
  }
  if (values.backup !== undefined && values['no-backup-check']) throw new CliError('give either --backup FILE or --no-backup-check, not both');
  const waitMs = waitMsOption(values['wait-seconds'], 120);
  const config = path.resolve(values.config ?? 'wrangler.toml');
  if (!existsSync(config)) throw new CliError(`${config} not found (run from the repository root, or pass --config)`);
  process.env.ARENA_VAULT_WRANGLER_CONFIG = config;

  step('health before');
  const before = await keysBefore(url);
  console.log(`The vault runs under CREDENTIAL_ENCRYPTION_KEY key id ${before.ids.credential} and SECRET_KEY key id ${before.ids.secret}.`);

  step('backup');
  const skipped = Boolean(values['no-backup-check']);
  if (skipped) process.stderr.write(`${SKIPPED_WARNING(before.ids)}\n`);
  else await proveBackup(values.backup!, values, url, before.body);

  const applied: string[] = [];
  const migrationsLine = () =>
    applied.length
      ? `The D1 migrations this deploy applied (${applied.join(', ')}) are NOT rolled back: they stay, and the old version runs on the new schema, which is why every migration stays backward compatible for one version (docs/operations/secrets.md, "Upgrading").`
      : 'No D1 migration was applied.';
  const finish = (code: number) => {
    if (skipped) process.stderr.write(`\n${SKIPPED_WARNING(before.ids)}\n`);
    return code;
  };

  step('migrations');
  const pending = pendingMigrations();
  if (pending.names.length) {
    console.log(`Pending D1 migrations (remote): ${pending.names.join(', ')}`);
    try {
      d1ApplyMigrations({ remote: true });
    } catch (e) {
      const now = new Set(pendingMigrations().names);
      applied.push(...pending.names.filter((n) => !now.has(n)));
      console.error(`DEPLOY FAILED at the migrations: ${reason(e)}. The Worker was not deployed. ${migrationsLine()}`);
      return finish(1);
    }
    applied.push(...pending.names);
    console.log(`Applied: ${applied.join(', ')}`);
  } else console.log('No pending D1 migrations.');

  step('deploy');
  const previous = liveVersionId();
  console.log(`Live version before the deploy: ${previous}`);
  let failure: string | null = null;
  try {
    process.stdout.write(runWrangler(['deploy']));
  } catch (e) {
    failure = `wrangler deploy failed: ${reason(e)}`;
  }

  if (!failure) {
    step('health after');
    let warnings: string[] = [];
    let lastErrors: string[] = [];
    try {
      await waitForHealth(
        url,
        'the new version with the same keys and no errors',
        (h, status) => {
          const verdict = judgeDeployedHealth(status, h, before.ids);
          lastErrors = verdict.errors;
          warnings = verdict.warnings;
          return verdict.errors.length === 0;
        },
        { waitMs, remote: true, progress: (h, status) => judgeDeployedHealth(status, h, before.ids).errors.join('; ') || null },
      );
      for (const w of warnings) console.log(`warning: ${w}`);
      console.log(
        `Deployed: /api/health answers 200 under the same key ids (CREDENTIAL_ENCRYPTION_KEY ${before.ids.credential}, SECRET_KEY ${before.ids.secret}).`,
      );
      console.log(applied.length ? `D1 migrations applied: ${applied.join(', ')}.` : 'No D1 migration was applied.');
      return finish(0);
    } catch (e) {
      failure = `the new version did not pass the health check within ${waitMs / 1000} s: ${lastErrors.join('; ') || reason(e)}`;
    }
  }

  // Step 5: whatever failed, return to the recorded version if it is no longer the live one.
  let live: string | null = null;
  try {
    live = liveVersionId();
  } catch {
    live = null;
  }
  step('rollback');
  if (live === previous) {
    console.error(`DEPLOY FAILED: ${failure}. The live version is still ${previous}: nothing to roll back. ${migrationsLine()}`);
    return finish(1);
  }
  try {
    rollbackTo(previous, 'arena-vault deploy: the new version failed its health check');
  } catch (e) {
    console.error(
      `DEPLOY FAILED: ${failure}. The ROLLBACK FAILED too (${reason(e)}): version ${live ?? 'unknown'} is live. Roll back by hand: npx wrangler rollback ${previous}. ${migrationsLine()}`,
    );
    return finish(1);
  }
  console.error(`DEPLOY FAILED: ${failure}.`);
  console.error(
    `Rolled back with wrangler rollback: version ${previous}, live before this deploy, serves all traffic again (the failed version was ${live ?? 'unknown'}).`,
  );
  console.error(migrationsLine());
  return finish(1);
});
