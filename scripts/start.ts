/**
 * `npm start`: the one command that brings up a local vault on a fresh clone.
 *  1. generates dev keys into .dev.vars if it is missing (never overwrites);
 *  2. applies the local D1 migrations;
 *  3. creates a first admin if none exists (a generated password goes into the
 *     git-ignored file .dev-admin, mode 0600, never onto the terminal);
 *  4. prints how to log in and runs `wrangler dev` on 127.0.0.1:8787.
 * Options: --port N, --no-serve (do steps 1-3 and exit).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { parseCli, runMain, CliError } from './lib/cli.ts';
import { d1ApplyMigrations, d1Execute } from './lib/wrangler.ts';
import { base64urlEncode } from '../src/crypto/encoding.ts';
import { firstActiveAdminQuery } from '../src/auth/users.ts';
import { sqlText, textOnlyDb } from '../src/db/sql-text.ts';

const ADMIN_FILE = '.dev-admin';
const DEFAULT_ADMIN = 'admin@arena-vault.local';

function runScript(script: string, args: string[], env: Record<string, string> = {}): void {
  const res = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ...env },
  });
  if (res.status !== 0) throw new CliError(`${script} failed (exit ${res.status})`, 1);
}

runMain('start', async () => {
  const { values } = parseCli(process.argv.slice(2), {
    usage: 'npm start -- [--port N] [--no-serve]',
    description: 'Generates dev keys if missing, migrates the local D1, creates a first admin, serves on 127.0.0.1.',
    flags: { port: 'string', 'no-serve': 'boolean' },
    help: { port: 'port for wrangler dev (default 8787)', 'no-serve': 'prepare everything, then exit without serving' },
  });
  const port = values.port ?? '8787';
  if (!/^\d{2,5}$/.test(port)) throw new CliError('--port must be a number');

  if (!existsSync('.dev.vars')) {
    console.log('• .dev.vars is missing: generating dev keys (they stay on this machine, git-ignored)');
    runScript('scripts/generate-keys.ts', ['--write-dev-vars']);
  } else {
    console.log('• .dev.vars exists: keeping its keys');
  }

  console.log('• applying local D1 migrations');
  d1ApplyMigrations();

  const email = process.env.FIRST_ADMIN_EMAIL ?? DEFAULT_ADMIN;
  const [admins] = d1Execute<{ email: string }>(sqlText(firstActiveAdminQuery(textOnlyDb)));
  const admin = admins?.[0]?.email;
  if (admin === undefined) {
    let password = process.env.FIRST_ADMIN_PASSWORD;
    if (!password) {
      password = base64urlEncode(crypto.getRandomValues(new Uint8Array(18)));
      writeFileSync(ADMIN_FILE, `email=${email}\npassword=${password}\n`, { mode: 0o600 });
    }
    console.log(`• creating the first admin ${email}`);
    runScript('scripts/bootstrap-admin.ts', ['--if-no-admin'], { FIRST_ADMIN_EMAIL: email, FIRST_ADMIN_PASSWORD: password });
  } else {
    console.log(`• an admin exists already (${admin}); not creating another`);
  }

  console.log('');
  console.log(`  Log in at  http://127.0.0.1:${port}/login`);
  console.log(`  as         ${email}`);
  console.log(
    existsSync(ADMIN_FILE) ? `  password   in ${ADMIN_FILE} (git-ignored): cat ${ADMIN_FILE}` : '  password   the one you set in FIRST_ADMIN_PASSWORD',
  );
  console.log('');
  if (values['no-serve']) return 0;

  const child = spawn('node_modules/.bin/wrangler', ['dev', '--ip', '127.0.0.1', '--port', port], {
    stdio: 'inherit',
    // The vault never reads request.cf: use miniflare's placeholder instead of
    // fetching workers.cloudflare.com/cf.json (which fails, loudly, offline).
    env: { CLOUDFLARE_CF_FETCH_ENABLED: 'false', ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  return new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 0)));
});
