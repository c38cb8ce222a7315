/**
 * First admin for the self-hosted editions: `npm run bootstrap-admin:node`
 * (node/bootstrap-admin.ts) and `npm run bootstrap-admin:deno`
 * (deno/bootstrap-admin.ts) run this with their runtime's prompts. The same
 * core as scripts/bootstrap-admin.ts (which targets D1 through wrangler):
 * src/auth/admin-bootstrap.ts, run here over the SQLite file at
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
import { resolveSettings, type ReadFile } from './secrets.ts';
import { databasePathFrom, openDatabase } from './vault.ts';

export { BootstrapError, type BootstrapInput, type BootstrapOutcome };

/** Creates or repairs the admin in an open, migrated database. */
export async function bootstrapAdminIn(db: DatabaseSync, input: BootstrapInput): Promise<BootstrapOutcome> {
  const d1 = new SqliteD1Database(db) as unknown as D1Database;
  return (await bootstrapAdmin(accountsIn(openDb(d1)), input)).outcome;
}

const MESSAGES: Record<BootstrapOutcome, (email: string) => string> = {
  created: (e) => `Created the admin ${e}.`,
  promoted: (e) => `${e} is now an active admin; their earlier sessions have ended.`,
  password_reset: (e) => `Set a new password for ${e}; their earlier sessions have ended.`,
  'promoted+password_reset': (e) => `${e} is now an active admin with a new password; their earlier sessions have ended.`,
  unchanged: (e) => `${e} is already an active admin; nothing changed (pass --reset-password to replace the password).`,
  admin_exists: () => 'An active admin exists already; nothing to do.',
};

/** What each runtime brings: its terminal prompts and its file reader. */
export interface BootstrapIo {
  promptLine(question: string): Promise<string>;
  /** Reads without echo; throws BootstrapError when there is no terminal. */
  promptHidden(question: string): Promise<string>;
  readFile: ReadFile;
}

/**
 * The whole command: options, input, the database. Returns the line to
 * print; BootstrapError and SettingsError are refusals (exit 1).
 */
export async function runBootstrapAdmin(command: string, argv: string[], env: Record<string, string | undefined>, io: BootstrapIo): Promise<string> {
  const args = new Set(argv);
  for (const a of args) {
    if (!['--reset-password', '--if-no-admin', '--help'].includes(a)) throw new BootstrapError(`unknown option ${a.slice(0, 40)} (see --help)`);
  }
  if (args.has('--help')) {
    return `npm run ${command} -- [--reset-password] [--if-no-admin]\nReads FIRST_ADMIN_EMAIL and FIRST_ADMIN_PASSWORD (or their _FILE forms; prompts otherwise) and DATABASE_PATH.`;
  }
  const settings = resolveSettings(['FIRST_ADMIN_EMAIL', 'FIRST_ADMIN_PASSWORD'], (n) => env[n], io.readFile);
  const email = settings.FIRST_ADMIN_EMAIL ?? (await io.promptLine('Admin email: '));
  const databasePath = databasePathFrom(env);
  const { sqlite } = await openDatabase(databasePath);
  try {
    const outcome = await bootstrapAdminIn(sqlite, {
      email,
      password: async () => {
        if (settings.FIRST_ADMIN_PASSWORD !== undefined) return settings.FIRST_ADMIN_PASSWORD;
        const first = await io.promptHidden('Password for the admin (not shown): ');
        if ((await io.promptHidden('Same password again: ')) !== first) throw new BootstrapError('the two passwords differ; nothing was changed');
        return first;
      },
      resetPassword: args.has('--reset-password'),
      ifNoAdmin: args.has('--if-no-admin'),
    });
    return `${MESSAGES[outcome](normalizeEmail(email) ?? '')} (database ${databasePath})`;
  } finally {
    sqlite.close();
  }
}
