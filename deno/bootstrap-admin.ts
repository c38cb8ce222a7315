/**
 * First admin for the self-hosted Deno edition: `npm run bootstrap-admin:deno`.
 * The same core as scripts/bootstrap-admin.ts (which targets D1 through
 * wrangler): src/auth/admin-bootstrap.ts, run here over the SQLite file at
 * DATABASE_PATH through the D1 shim (the Worker's own drizzle statements and
 * audit writer). Rules: create, promote/activate, reset the password only with
 * --reset-password, --if-no-admin, idempotent, never prints the password.
 *
 * Input: FIRST_ADMIN_EMAIL and FIRST_ADMIN_PASSWORD, each also as a `_FILE`
 * (Docker secrets); otherwise prompted on a terminal, the password unechoed.
 * Works before the server's first start (it applies the migrations) and while
 * the server runs (SQLite WAL).
 */
import type { DatabaseSync } from 'node:sqlite';
import { normalizeEmail } from '../src/auth/user-rules.ts';
import { accountsIn, bootstrapAdmin, BootstrapError, type BootstrapInput, type BootstrapOutcome } from '../src/auth/admin-bootstrap.ts';
import { openDb } from '../src/db/client.ts';
import { SqliteD1Database } from './d1-sqlite.ts';
import { outsidePermissions, resolveSettings, SettingsError } from './secrets.ts';
import { databasePathFrom, openDatabase } from './vault.ts';

export { BootstrapError, type BootstrapInput, type BootstrapOutcome };

/** Creates or repairs the admin in an open, migrated database. */
export async function bootstrapAdminIn(db: DatabaseSync, input: BootstrapInput): Promise<BootstrapOutcome> {
  const d1 = new SqliteD1Database(db) as unknown as D1Database;
  return (await bootstrapAdmin(accountsIn(openDb(d1)), input)).outcome;
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
