/**
 * `npm run bootstrap-admin`: creates the first admin (or repairs access).
 *
 * Reads FIRST_ADMIN_EMAIL and FIRST_ADMIN_PASSWORD from the environment, or
 * prompts for them (the password without echo, twice on a terminal). Works on
 * the local D1 (the one `wrangler dev` uses) by default, `--persist-to DIR` for
 * another local state directory, or the deployed database with `--remote`.
 *
 * - No such user: creates an active admin.
 * - The user exists: makes them an active admin (ending their sessions if that
 *   changed anything); the password changes only with --reset-password.
 * - Idempotent: a second run changes nothing and says so.
 * - The rules, the user writes and the audit event are the shared core
 *   (src/auth/admin-bootstrap.ts, also behind the Deno edition's script);
 *   this file only carries its queries to wrangler as SQL text.
 * - Never prints the password; the hash is made here by src/crypto/password.ts
 *   (the same code the Worker verifies with) and only the hash goes to D1,
 *   through a temp SQL file (scripts/lib/wrangler.ts), never the command line
 *   (reads, which hold no secret, use d1Query: remotely D1 returns rows only there).
 */
import { parseCli, runMain, CliError } from './lib/cli.ts';
import { promptHidden, promptLine } from './lib/prompt.ts';
import { d1Execute, d1Query, type D1Target } from './lib/wrangler.ts';
import { sqlText, textOnlyDb } from '../src/db/sql-text.ts';
import { accountByEmailQuery, firstActiveAdminQuery } from '../src/auth/users.ts';
import { bootstrapAdmin, BootstrapError, type AdminAccounts } from '../src/auth/admin-bootstrap.ts';

const SPEC = {
  usage: 'npm run bootstrap-admin -- [--remote | --persist-to DIR] [--reset-password] [--if-no-admin] [--display-name NAME]',
  description: [
    'Creates an active admin from FIRST_ADMIN_EMAIL and FIRST_ADMIN_PASSWORD (prompted if unset; the',
    'password is never echoed or printed). An existing user is promoted to admin and activated; their',
    'password changes only with --reset-password. Safe to run again: it then changes nothing.',
  ].join('\n'),
  flags: { remote: 'boolean', 'persist-to': 'string', 'reset-password': 'boolean', 'if-no-admin': 'boolean', 'display-name': 'string' },
  help: {
    remote: 'use the deployed D1 database instead of the local one',
    'persist-to': 'local state directory (wrangler --persist-to; default .wrangler/state)',
    'reset-password': 'set a new password for an existing user (ends their sessions)',
    'if-no-admin': 'do nothing if an active admin exists already (for npm start)',
    'display-name': 'display name for a new user (default: the part of the email before @)',
  },
} as const;

async function readPassword(): Promise<string> {
  const fromEnv = process.env.FIRST_ADMIN_PASSWORD;
  if (fromEnv) return fromEnv;
  const first = await promptHidden('Password for the admin (not shown): ');
  if (process.stdin.isTTY) {
    const again = await promptHidden('Same password again: ');
    if (again !== first) throw new CliError('the two passwords differ; nothing was changed');
  }
  return first;
}

/**
 * The shared core's carrier for D1 through wrangler. Its reads go through
 * d1Query (remotely `--file` returns no rows; they hold no secret), its writes
 * (the user change with the password hash, and its audit event) as one SQL file.
 */
function accountsVia(target: D1Target): AdminAccounts {
  return {
    builder: textOnlyDb,
    activeAdmin: async () => d1Query<{ email: string }>(sqlText(firstActiveAdminQuery(textOnlyDb)), target)[0]?.[0]?.email ?? null,
    findByEmail: async (email) => {
      const row = d1Query<{ id: number; role: string; is_active: number }>(sqlText(accountByEmailQuery(textOnlyDb, email)), target)[0]?.[0];
      return row && { id: row.id, role: row.role, isActive: row.is_active === 1 };
    },
    commit: async (writes) => {
      d1Execute(writes.map((w) => sqlText(w)).join('\n'), target);
    },
  };
}

runMain('bootstrap-admin', async () => {
  const { values } = parseCli(process.argv.slice(2), SPEC);
  if (values.remote && values['persist-to']) throw new CliError('--remote and --persist-to exclude each other');
  const target: D1Target = { remote: Boolean(values.remote), persistTo: values['persist-to'] };
  const where = target.remote ? 'the remote D1' : `the local D1${target.persistTo ? ` in ${target.persistTo}` : ''}`;

  const [tables] = d1Query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'users';", target);
  if (!tables?.length) {
    const fix = target.remote
      ? 'wrangler d1 migrations apply DB --remote'
      : `wrangler d1 migrations apply DB --local${target.persistTo ? ` --persist-to ${target.persistTo}` : ''}`;
    throw new CliError(`${where} has no users table yet: apply the migrations first (${fix})`);
  }

  let result;
  try {
    result = await bootstrapAdmin(accountsVia(target), {
      email: async () => process.env.FIRST_ADMIN_EMAIL || (await promptLine('Admin email: ')),
      password: readPassword,
      resetPassword: Boolean(values['reset-password']),
      ifNoAdmin: Boolean(values['if-no-admin']),
      displayName: values['display-name'],
    });
  } catch (e) {
    if (e instanceof BootstrapError) throw new CliError(e.message);
    throw e;
  }
  const { outcome, email } = result;
  const keptPassword = () => {
    if (process.env.FIRST_ADMIN_PASSWORD) console.log('The password was left as it is (pass --reset-password to replace it).');
  };
  switch (outcome) {
    case 'admin_exists':
      console.log(`An active admin exists already (${email}); nothing to do.`);
      return 0;
    case 'created':
      console.log(`Created the admin ${email} in ${where}.`);
      break;
    case 'unchanged':
      console.log(`${email} is already an active admin in ${where}; nothing changed.`);
      keptPassword();
      break;
    default:
      if (outcome.includes('promoted')) console.log(`${email} is now an active admin in ${where}; their earlier sessions have ended.`);
      if (outcome.includes('password_reset')) console.log(`Set a new password for ${email}; their earlier sessions have ended.`);
      else keptPassword();
  }

  console.log(target.remote ? 'Log in at https://<your worker>/login' : 'Log in at http://127.0.0.1:8787/login (after `npm start` or `npm run dev`)');
  return 0;
});
