/**
 * First admin for the self-hosted Deno edition: `npm run bootstrap-admin:deno`.
 * The same rules as scripts/bootstrap-admin.ts (which targets D1 through
 * wrangler), applied to the SQLite file at DATABASE_PATH:
 *
 * - no such user: creates an active admin;
 * - the user exists: makes them an active admin (ending their sessions if that
 *   changed anything); the password changes only with --reset-password;
 * - --if-no-admin: does nothing when an active admin exists;
 * - idempotent; never prints the password; only the hash (src/crypto/password.ts,
 *   the code the app verifies with) is stored; an audit event records it.
 *
 * Input: FIRST_ADMIN_EMAIL and FIRST_ADMIN_PASSWORD, each also as a `_FILE`
 * (Docker secrets); otherwise prompted on a terminal, the password unechoed.
 * Works before the server's first start (it applies the migrations) and while
 * the server runs (SQLite WAL).
 */
import type { DatabaseSync } from 'node:sqlite';
import { hashPassword } from '../src/crypto/password.ts';
import { normalizeEmail, passwordProblem } from '../src/auth/user-rules.ts';
import { outsidePermissions, resolveSettings, SettingsError } from './secrets.ts';
import { databasePathFrom, openDatabase } from './vault.ts';

const ACTOR = 'script:bootstrap-admin';

export interface BootstrapInput {
  email: string;
  /** Asked for only when needed (a new user, or --reset-password). */
  password: () => Promise<string>;
  resetPassword?: boolean;
  ifNoAdmin?: boolean;
  displayName?: string;
  now?: number;
}

export type BootstrapOutcome = 'created' | 'promoted' | 'password_reset' | 'promoted+password_reset' | 'unchanged' | 'admin_exists';

export class BootstrapError extends Error {}

async function checkedPassword(read: () => Promise<string>): Promise<string> {
  const password = await read();
  const problem = passwordProblem(password);
  if (problem) throw new BootstrapError(`${problem}; nothing was changed`);
  return password;
}

function audit(db: DatabaseSync, now: number, email: string, outcome: string): void {
  db.prepare("INSERT INTO audit_events (at, actor, action, target, ip, detail) VALUES (?, ?, 'user.bootstrap_admin', ?, NULL, ?)").run(
    now, ACTOR, `email:${email}`, JSON.stringify({ outcome }),
  );
}

/** Creates or repairs the admin in an open, migrated database. */
export async function bootstrapAdminIn(db: DatabaseSync, input: BootstrapInput): Promise<BootstrapOutcome> {
  if (input.ifNoAdmin && db.prepare("SELECT 1 FROM users WHERE role = 'admin' AND is_active = 1 LIMIT 1").get()) return 'admin_exists';
  const email = normalizeEmail(input.email);
  if (!email) throw new BootstrapError('FIRST_ADMIN_EMAIL is not a valid email address; nothing was changed');
  const existing = db.prepare('SELECT id, role, is_active FROM users WHERE email = ? COLLATE NOCASE').get(email) as
    | { id: number; role: string; is_active: number }
    | undefined;
  const now = input.now ?? Date.now();

  if (!existing) {
    const hash = await hashPassword(await checkedPassword(input.password));
    const displayName = (input.displayName ?? email.split('@')[0] ?? '').trim().slice(0, 100);
    db.exec('BEGIN IMMEDIATE');
    try {
      db.prepare(
        `INSERT INTO users (email, hashed_password, display_name, role, is_active, token_version, created_at, updated_at)
         VALUES (?, ?, ?, 'admin', 1, 0, ?, ?)`,
      ).run(email, hash, displayName, now, now);
      audit(db, now, email, 'created');
      db.exec('COMMIT');
    } catch (e) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw e;
    }
    return 'created';
  }

  const promote = existing.role !== 'admin' || existing.is_active !== 1;
  if (!promote && !input.resetPassword) return 'unchanged';
  const hash = input.resetPassword ? await hashPassword(await checkedPassword(input.password)) : null;
  const outcome = [promote ? 'promoted' : null, hash ? 'password_reset' : null].filter(Boolean).join('+') as BootstrapOutcome;
  db.exec('BEGIN IMMEDIATE');
  try {
    db.prepare(
      `UPDATE users SET role = 'admin', is_active = 1, updated_at = ?, token_version = token_version + 1,
         hashed_password = COALESCE(?, hashed_password) WHERE id = ?`,
    ).run(now, hash, existing.id);
    audit(db, now, email, outcome);
    db.exec('COMMIT');
  } catch (e) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw e;
  }
  return outcome;
}

/** Reads a line from the terminal without echoing it. */
async function promptHidden(question: string): Promise<string> {
  if (!Deno.stdin.isTerminal()) throw new BootstrapError('FIRST_ADMIN_PASSWORD (or FIRST_ADMIN_PASSWORD_FILE) is not set and there is no terminal to ask on');
  const encoder = new TextEncoder();
  Deno.stdout.writeSync(encoder.encode(question));
  Deno.stdin.setRaw(true);
  const bytes: number[] = [];
  const buf = new Uint8Array(1);
  try {
    for (;;) {
      const n = await Deno.stdin.read(buf);
      if (n === null || buf[0] === 13 || buf[0] === 10) break;
      if (buf[0] === 3) throw new BootstrapError('cancelled; nothing was changed');
      if (buf[0] === 127 || buf[0] === 8) bytes.pop();
      else bytes.push(buf[0]!);
    }
  } finally {
    Deno.stdin.setRaw(false);
    Deno.stdout.writeSync(encoder.encode('\n'));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

const MESSAGES: Record<BootstrapOutcome, (email: string) => string> = {
  created: (e) => `Created the admin ${e}.`,
  promoted: (e) => `${e} is now an active admin; their earlier sessions have ended.`,
  password_reset: (e) => `Set a new password for ${e}; their earlier sessions have ended.`,
  'promoted+password_reset': (e) => `${e} is now an active admin with a new password; their earlier sessions have ended.`,
  unchanged: (e) => `${e} is already an active admin; nothing changed (pass --reset-password to replace the password).`,
  admin_exists: () => 'An active admin exists already; nothing to do.',
};

async function main(): Promise<number> {
  const args = new Set(Deno.args);
  for (const a of args) {
    if (!['--reset-password', '--if-no-admin', '--help'].includes(a)) throw new BootstrapError(`unknown option ${a.slice(0, 40)} (see --help)`);
  }
  if (args.has('--help')) {
    console.log('npm run bootstrap-admin:deno -- [--reset-password] [--if-no-admin]\nReads FIRST_ADMIN_EMAIL and FIRST_ADMIN_PASSWORD (or their _FILE forms; prompts otherwise) and DATABASE_PATH.');
    return 0;
  }
  const env = Deno.env.toObject();
  const settings = resolveSettings(['FIRST_ADMIN_EMAIL', 'FIRST_ADMIN_PASSWORD'], (n) => env[n], (p) => Deno.readTextFileSync(p));
  const email = settings.FIRST_ADMIN_EMAIL ?? (prompt('Admin email:') ?? '');
  const databasePath = databasePathFrom(env);
  const { sqlite } = await openDatabase(databasePath);
  try {
    const outcome = await bootstrapAdminIn(sqlite, {
      email,
      password: async () => {
        if (settings.FIRST_ADMIN_PASSWORD !== undefined) return settings.FIRST_ADMIN_PASSWORD;
        const first = await promptHidden('Password for the admin (not shown): ');
        if ((await promptHidden('Same password again: ')) !== first) throw new BootstrapError('the two passwords differ; nothing was changed');
        return first;
      },
      resetPassword: args.has('--reset-password'),
      ifNoAdmin: args.has('--if-no-admin'),
    });
    console.log(`${MESSAGES[outcome](normalizeEmail(email) ?? '')} (database ${databasePath})`);
    return 0;
  } finally {
    sqlite.close();
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (e) {
    if (e instanceof BootstrapError || e instanceof SettingsError) {
      console.error(`bootstrap-admin: ${e.message}`);
      Deno.exit(1);
    }
    const refused = outsidePermissions(e);
    if (refused) {
      console.error(`bootstrap-admin: DATABASE_PATH=${databasePathFrom(Deno.env.toObject())}: ${refused}`);
      Deno.exit(1);
    }
    throw e;
  }
}
