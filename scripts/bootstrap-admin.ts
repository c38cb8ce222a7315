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
 * - Never prints the password; the hash is made here by src/crypto/password.ts
 *   (the same code the Worker verifies with) and only the hash goes to D1,
 *   through a temp SQL file (scripts/lib/wrangler.ts), never the command line
 *   (reads, which hold no secret, use d1Query: remotely D1 returns rows only there).
 */
import { parseCli, runMain, CliError } from './lib/cli.ts';
import { promptHidden, promptLine } from './lib/prompt.ts';
import { d1Execute, d1Query, sqlLiteral, type D1Target } from './lib/wrangler.ts';
import { hashPassword } from '../src/crypto/password.ts';
import { normalizeEmail, passwordProblem } from '../src/auth/user-rules.ts';

const ACTOR = 'script:bootstrap-admin';

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

interface ExistingUser {
  id: number;
  email: string;
  role: string;
  is_active: number;
}

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

async function checkedPassword(): Promise<string> {
  const password = await readPassword();
  const problem = passwordProblem(password);
  if (problem) throw new CliError(`${problem}; nothing was changed`);
  return password;
}

function auditSql(now: number, email: string, outcome: string): string {
  const detail = JSON.stringify({ outcome });
  return `INSERT INTO audit_events (at, actor, action, target, ip, detail) VALUES (${now}, ${sqlLiteral(ACTOR)}, 'user.bootstrap_admin', ${sqlLiteral(`email:${email}`)}, NULL, ${sqlLiteral(detail)});`;
}

runMain('bootstrap-admin', async () => {
  const { values } = parseCli(process.argv.slice(2), SPEC);
  if (values.remote && values['persist-to']) throw new CliError('--remote and --persist-to exclude each other');
  const target: D1Target = { remote: Boolean(values.remote), persistTo: values['persist-to'] };
  const where = target.remote ? 'the remote D1' : `the local D1${target.persistTo ? ` in ${target.persistTo}` : ''}`;

  const [tables] = d1Query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'users';", target);
  if (!tables?.length) {
    const fix = target.remote ? 'wrangler d1 migrations apply DB --remote' : `wrangler d1 migrations apply DB --local${target.persistTo ? ` --persist-to ${target.persistTo}` : ''}`;
    throw new CliError(`${where} has no users table yet: apply the migrations first (${fix})`);
  }

  if (values['if-no-admin']) {
    const [admins] = d1Query<{ email: string }>("SELECT email FROM users WHERE role = 'admin' AND is_active = 1 ORDER BY id LIMIT 1;", target);
    if (admins?.length) {
      console.log(`An active admin exists already (${admins[0]!.email}); nothing to do.`);
      return 0;
    }
  }

  const rawEmail = process.env.FIRST_ADMIN_EMAIL || (await promptLine('Admin email: '));
  const email = normalizeEmail(rawEmail);
  if (!email) throw new CliError('FIRST_ADMIN_EMAIL is not a valid email address; nothing was changed');

  const [found] = d1Query<ExistingUser>(`SELECT id, email, role, is_active FROM users WHERE email = ${sqlLiteral(email)} COLLATE NOCASE;`, target);
  const existing = found?.[0];
  const now = Date.now();

  if (!existing) {
    const password = await checkedPassword();
    const hash = await hashPassword(password);
    const displayName = (values['display-name'] ?? email.split('@')[0] ?? '').trim().slice(0, 100);
    d1Execute(
      `INSERT INTO users (email, hashed_password, display_name, role, is_active, token_version, created_at, updated_at)
       VALUES (${sqlLiteral(email)}, ${sqlLiteral(hash)}, ${sqlLiteral(displayName)}, 'admin', 1, 0, ${now}, ${now});
       ${auditSql(now, email, 'created')}`,
      target,
    );
    console.log(`Created the admin ${email} in ${where}.`);
  } else {
    const promote = existing.role !== 'admin' || existing.is_active !== 1;
    const reset = Boolean(values['reset-password']);
    if (!promote && !reset) {
      console.log(`${email} is already an active admin in ${where}; nothing changed.`);
      if (process.env.FIRST_ADMIN_PASSWORD) console.log('The password was left as it is (pass --reset-password to replace it).');
    } else {
      const hash = reset ? await hashPassword(await checkedPassword()) : null;
      const sets = ["role = 'admin'", 'is_active = 1', `updated_at = ${now}`, 'token_version = token_version + 1'];
      if (hash) sets.push(`hashed_password = ${sqlLiteral(hash)}`);
      const outcome = [promote ? 'promoted' : null, reset ? 'password_reset' : null].filter(Boolean).join('+');
      d1Execute(`UPDATE users SET ${sets.join(', ')} WHERE id = ${existing.id};\n${auditSql(now, email, outcome)}`, target);
      if (promote) console.log(`${email} is now an active admin in ${where}; their earlier sessions have ended.`);
      if (reset) console.log(`Set a new password for ${email}; their earlier sessions have ended.`);
      if (!reset && process.env.FIRST_ADMIN_PASSWORD) console.log('The password was left as it is (pass --reset-password to replace it).');
    }
  }

  console.log(target.remote ? 'Log in at https://<your worker>/login' : 'Log in at http://127.0.0.1:8787/login (after `npm start` or `npm run dev`)');
  return 0;
});
