/**
 * rotate-secret-key: the whole SECRET_KEY rotation in one command, with zero
 * downtime (docs/operations/secrets.md, "Rotating SECRET_KEY"); the
 * counterpart of rotate-credential-key.
 *
 *  1. the new key's backup first: the script generates the key in memory and
 *     writes its gpg backup into `--out DIR` (outside the checkout), or takes
 *     one made earlier (`--new-backup FILE`); either way it opens that file
 *     again with the passphrase and checks it holds the key about to be
 *     installed (verify-backup's check);
 *  2. installs the new key as SECRET_KEY with the old one as
 *     SECRET_KEY_PREVIOUS: in .dev.vars locally (restart `wrangler dev` when
 *     asked), or with `--remote` in one `wrangler secret bulk` through stdin;
 *     the old key comes from .dev.vars locally, or from its backup
 *     (`--old-backup FILE`) decrypted in memory remotely: never a shell
 *     variable, never a file;
 *  3. waits for /api/health to show the new kid, and checks the new backup
 *     against it (verify-backup: CURRENT);
 *  4. waits for `previous_key_removable_now` (every token the old key signed
 *     has expired);
 *  5. removes SECRET_KEY_PREVIOUS (.dev.vars, or `wrangler secret delete`).
 *
 * A rerun while SECRET_KEY_PREVIOUS is set resumes at step 3 (give
 * `--new-backup` with the backup of the key now current).
 * Exit codes: 0 done, 1 a step failed or timed out (run it again), 2 bad usage.
 */
import { CliError, parseCli, runMain } from './lib/cli.ts';
import {
  checkBackupDirs,
  judgeBackup,
  openBackup,
  openBackupOf,
  planBackup,
  readBackupPassphrase,
  readNewPassphrase,
  verifyBackupHolds,
  writeBackup,
} from './lib/backup-files.ts';
import { devVarsPath, readDevVars, updateDevVars } from './lib/dev-vars.ts';
import { knownKeysFromHealth } from './lib/known-keys.ts';
import { generateSecret, keyIdOfSecret, secretProblem } from './lib/master-secrets.ts';
import { LOCAL_VAULT_URL, readHealth, vaultUrlOption, waitForHealth, waitMsOption, type Health } from './lib/vault-health.ts';
import { secretBulk, secretDelete } from './lib/wrangler.ts';

const spec = {
  usage:
    'npm run rotate-secret-key -- (--out DIR | --new-backup FILE) [--remote --old-backup FILE] [--url URL] [--passphrase-file FILE] [--dev-vars PATH] [--wait-seconds N]',
  description: [
    'Rotates SECRET_KEY with zero downtime: backs up the new key first (--out DIR, outside this checkout) and checks',
    'that backup, installs the new key with the old one as SECRET_KEY_PREVIOUS (.dev.vars, or with --remote one',
    '`wrangler secret bulk` through stdin), waits for /api/health to show the new kid, waits until no live token',
    'needs the old key (previous_key_removable_now), then removes SECRET_KEY_PREVIOUS. The old key is read from',
    '.dev.vars locally, or remotely from its backup (--old-backup), decrypted in memory only. Rerun to resume.',
  ].join('\n'),
  flags: {
    out: 'string',
    'new-backup': 'string',
    remote: 'boolean',
    'old-backup': 'string',
    url: 'string',
    'passphrase-file': 'string',
    'dev-vars': 'string',
    'wait-seconds': 'string',
  },
  help: {
    out: 'generate the new key and write its backup into DIR (created 0700; outside this checkout)',
    'new-backup': 'use the new key in this backup instead (made with backup-secrets); also how a rerun resumes',
    remote: 'production: `wrangler secret bulk` / `wrangler secret delete` instead of .dev.vars',
    'old-backup': 'with --remote: the backup of the SECRET_KEY in use now (decrypted in memory only)',
    url: `the vault's base URL, whose /api/health is watched (default ${LOCAL_VAULT_URL})`,
    'passphrase-file': 'backup passphrase(s) from the first line of FILE instead of hidden prompts',
    'dev-vars': 'the .dev.vars file locally (default ./.dev.vars)',
    'wait-seconds': 'how long to wait for each change to show in health (default 2400: a 30-minute token lifetime and then some)',
  },
} as const;

interface Ctx {
  url: string;
  remote: boolean;
  devVars: string;
  waitMs: number;
  passFile?: string;
}

const sk = (h: Health) => h.keys?.secret_key ?? {};

async function oldKey(ctx: Ctx, oldBackup: string | undefined): Promise<{ value: string; kid: string }> {
  if (!ctx.remote) {
    const vars = readDevVars(ctx.devVars);
    const value = vars?.SECRET_KEY?.trim();
    if (!value) throw new CliError(`${ctx.devVars} has no SECRET_KEY (run npm start first)`);
    if ((vars?.SECRET_KEY_PREVIOUS ?? '').trim())
      throw new CliError(`${ctx.devVars} sets SECRET_KEY_PREVIOUS already: finish that rotation first (rerun with --new-backup)`);
    const problem = await secretProblem('SECRET_KEY', value);
    if (problem) throw new CliError(`${problem} (in ${ctx.devVars})`);
    return { value, kid: await keyIdOfSecret('SECRET_KEY', value) };
  }
  if (!oldBackup) throw new CliError('--remote needs --old-backup FILE: the backup of the SECRET_KEY in use (Cloudflare cannot give it back)');
  const found = await openBackupOf(oldBackup, await readBackupPassphrase(ctx.passFile, "Passphrase of the old key's backup"), 'SECRET_KEY');
  return { value: found.value, kid: found.keyId };
}

/** Step 1: the new key, with a backup on disk that opens and holds it. */
async function newKey(ctx: Ctx, values: { out?: string; 'new-backup'?: string }, oldKid: string): Promise<{ value: string; kid: string; file: string }> {
  let file = values['new-backup'];
  let kid: string;
  if (!file) {
    checkBackupDirs({ SECRET_KEY: values.out! });
    const value = generateSecret('SECRET_KEY');
    const planned = await planBackup('SECRET_KEY', value, values.out!, false);
    await writeBackup(planned, value, await readNewPassphrase(ctx.passFile));
    file = planned.file;
    kid = planned.keyId;
    console.log('Checking the new backup: type its passphrase once more.');
  } else {
    kid = (await openBackupOf(file, await readBackupPassphrase(ctx.passFile, "Passphrase of the new key's backup"), 'SECRET_KEY')).keyId;
  }
  if (kid === oldKid) throw new CliError('the new backup holds the key in use now: make a new key (--out DIR)');
  const value = await verifyBackupHolds(file, await readBackupPassphrase(ctx.passFile, "Passphrase of the new key's backup"), 'SECRET_KEY', kid);
  return { value, kid, file };
}

async function finish(ctx: Ctx, newBackup: string, newKid: string): Promise<void> {
  // Step 3: the vault runs the new key; its backup verifies as CURRENT there.
  await waitForHealth(ctx.url, `under SECRET_KEY ${newKid}`, (h) => sk(h).current_kid === newKid, { waitMs: ctx.waitMs, remote: ctx.remote });
  console.log(`The vault signs with the new key ${newKid}.`);
  const verdict = judgeBackup(
    await openBackup(newBackup, await readBackupPassphrase(ctx.passFile, "Passphrase of the new key's backup")),
    await knownKeysFromHealth(ctx.url),
  );
  if (verdict !== 0) throw new CliError(`${newBackup} is not the key the vault uses now; the previous key stays`, 1);

  // Step 4: no live token needs the previous key.
  const h = await waitForHealth(
    ctx.url,
    'with a removable previous key',
    (x) => sk(x).previous_key_removable_now === true || (sk(x).previous_kids ?? []).length === 0,
    {
      waitMs: ctx.waitMs,
      remote: ctx.remote,
      restartHint: false,
      pollMs: 2000,
      progress: (x) => {
        const s = sk(x);
        if (s.previous_key_removal_basis === 'unknown') return 'Waiting for the new key to sign its first token (a login or a session renewal)...';
        return s.previous_key_removable_after
          ? `Waiting until ${s.previous_key_removable_after} (${s.previous_key_removal_basis}): tokens signed by the previous key live until then.`
          : null;
      },
    },
  );
  if ((sk(h).previous_kids ?? []).length === 0) {
    console.log('No previous SECRET_KEY is set: nothing to remove.');
    return;
  }

  // Step 5: remove it.
  if (ctx.remote) {
    secretDelete('SECRET_KEY_PREVIOUS');
    console.log('Deleted the Worker secret SECRET_KEY_PREVIOUS.');
  } else {
    updateDevVars({ SECRET_KEY_PREVIOUS: undefined }, ctx.devVars);
    console.log(`Removed SECRET_KEY_PREVIOUS from ${ctx.devVars}.`);
  }
  await waitForHealth(ctx.url, 'without a previous SECRET_KEY', (x) => sk(x).current_kid === newKid && (sk(x).previous_kids ?? []).length === 0, {
    waitMs: ctx.waitMs,
    remote: ctx.remote,
  });
  console.log(`Done: the vault runs on SECRET_KEY ${newKid} alone. Keep its backup (${newBackup}) apart from the credential key's.`);
}

runMain('rotate-secret-key', async () => {
  const { values } = parseCli(process.argv.slice(2), spec);
  const url = vaultUrlOption(values.url);
  const waitMs = waitMsOption(values['wait-seconds'], 2400);
  if (values.out && values['new-backup']) throw new CliError('give either --out DIR (a new key) or --new-backup FILE, not both');
  if (values['old-backup'] && !values.remote) throw new CliError('--old-backup goes with --remote (locally the old key is in .dev.vars)');
  if (values.remote && values['dev-vars']) throw new CliError('--dev-vars is for the local flow; drop it with --remote');
  const ctx: Ctx = { url, remote: Boolean(values.remote), devVars: values['dev-vars'] ?? devVarsPath(), waitMs, passFile: values['passphrase-file'] };

  const health = await readHealth(url);
  const ring = health && sk(health);
  if (!ring?.current_kid) throw new CliError(`cannot read the key ids from ${url}/api/health${ctx.remote ? '' : ' (is `npm run dev` running?)'}`, 1);

  if ((ring.previous_kids ?? []).length > 0) {
    // Resume: a new key is installed with a previous one beside it.
    if (!values['new-backup'])
      throw new CliError(
        `SECRET_KEY_PREVIOUS is set (${ring.previous_kids!.join(', ')}): to finish that rotation, rerun with --new-backup FILE, the backup of SECRET_KEY ${ring.current_kid}`,
      );
    console.log(`SECRET_KEY_PREVIOUS is set: resuming the rotation to ${ring.current_kid}.`);
    await finish(ctx, values['new-backup'], ring.current_kid);
    return 0;
  }
  if (!values.out && !values['new-backup'])
    throw new CliError("say where the new key's backup goes: --out DIR (outside this checkout), or give one with --new-backup FILE");

  const old = await oldKey(ctx, values['old-backup']);
  if (old.kid !== ring.current_kid)
    throw new CliError(`the vault signs with SECRET_KEY ${ring.current_kid}, but the old key given is ${old.kid}: give the key in use`);
  const fresh = await newKey(ctx, values, old.kid);

  const secrets = { SECRET_KEY: fresh.value, SECRET_KEY_PREVIOUS: old.value };
  if (ctx.remote) {
    secretBulk(secrets);
    console.log(`Installed with one wrangler secret bulk: SECRET_KEY ${fresh.kid}, SECRET_KEY_PREVIOUS ${old.kid}.`);
  } else {
    updateDevVars(secrets, ctx.devVars);
    console.log(`Wrote ${ctx.devVars}: SECRET_KEY ${fresh.kid}, SECRET_KEY_PREVIOUS ${old.kid}.`);
  }
  await finish(ctx, fresh.file, fresh.kid);
  return 0;
});
