/**
 * Create-or-promote the first admin: the one core behind
 * `npm run bootstrap-admin` (scripts/bootstrap-admin.ts: D1 through wrangler)
 * and `npm run bootstrap-admin:node` / `bootstrap-admin:deno`
 * (selfhost/bootstrap-admin.ts: the SQLite file behind the D1 shim). The user writes are the Worker's own (users.ts), the
 * audit event goes through the one audit writer; a carrier only runs them.
 *
 * - no such user: creates an active admin;
 * - the user exists: makes them an active admin (ending their sessions if that
 *   changed anything); the password changes only with `resetPassword`;
 * - `ifNoAdmin`: does nothing when an active admin exists;
 * - idempotent; the password is asked for only when it is needed, checked by
 *   the same rule as everywhere (user-rules.ts), and only its hash is stored.
 */
import type { BatchItem } from 'drizzle-orm/batch';
import type { Db } from '../db/client.ts';
import type { BuiltQuery } from '../db/sql-text.ts';
import { hashPassword } from '../crypto/password.ts';
import { auditStatement } from '../audit/audit.ts';
import { normalizeEmail, passwordProblem } from './user-rules.ts';
import { accountByEmailQuery, firstActiveAdminQuery, newUserStatement, promoteToAdminStatement } from './users.ts';

const BOOTSTRAP_ACTOR = 'script:bootstrap-admin';
export const BOOTSTRAP_ACTION = 'user.bootstrap_admin';

export type BootstrapOutcome = 'created' | 'promoted' | 'password_reset' | 'promoted+password_reset' | 'unchanged' | 'admin_exists';

/** A refusal to show the operator as it is (never contains the password). */
export class BootstrapError extends Error {
  override name = 'BootstrapError';
}

interface ExistingAccount {
  id: number;
  role: string;
  isActive: boolean;
}

/** A write of the core: batchable by drizzle, and renderable as SQL text. */
type BootstrapWrite = BatchItem<'sqlite'> & BuiltQuery;

/** Where the core reads, and how it commits its writes (all of them or none). */
export interface AdminAccounts {
  /** A drizzle client the writes are built with (it need not execute them). */
  builder: Db;
  /** One active admin's email, if any. */
  activeAdmin(): Promise<string | null>;
  findByEmail(email: string): Promise<ExistingAccount | undefined>;
  commit(writes: [BootstrapWrite, ...BootstrapWrite[]]): Promise<void>;
}

export interface BootstrapInput {
  /** The email, or how to ask for it (asked only after the `ifNoAdmin` check). */
  email: string | (() => Promise<string>);
  /** Asked for only when needed (a new user, or `resetPassword`). */
  password: () => Promise<string>;
  resetPassword?: boolean;
  ifNoAdmin?: boolean;
  displayName?: string;
  now?: number;
}

interface BootstrapResult {
  outcome: BootstrapOutcome;
  /** The normalised email acted on (for `admin_exists`: the admin that exists). */
  email: string;
}

async function checkedPassword(read: () => Promise<string>): Promise<string> {
  const password = await read();
  const problem = passwordProblem(password);
  if (problem) throw new BootstrapError(`${problem}; nothing was changed`);
  return password;
}

export async function bootstrapAdmin(accounts: AdminAccounts, input: BootstrapInput): Promise<BootstrapResult> {
  if (input.ifNoAdmin) {
    const admin = await accounts.activeAdmin();
    if (admin !== null) return { outcome: 'admin_exists', email: admin };
  }
  const email = normalizeEmail(typeof input.email === 'string' ? input.email : await input.email());
  if (!email) throw new BootstrapError('FIRST_ADMIN_EMAIL is not a valid email address; nothing was changed');
  const existing = await accounts.findByEmail(email);
  const now = input.now ?? Date.now();
  const db = accounts.builder;
  const audit = (outcome: BootstrapOutcome) =>
    auditStatement(db, { actor: BOOTSTRAP_ACTOR, action: BOOTSTRAP_ACTION, target: `email:${email}`, detail: { outcome }, at: now });

  if (!existing) {
    const hashedPassword = await hashPassword(await checkedPassword(input.password));
    const displayName = (input.displayName ?? email.split('@')[0] ?? '').trim().slice(0, 100);
    await accounts.commit([newUserStatement(db, { email, hashedPassword, displayName, role: 'admin', now }), audit('created')]);
    return { outcome: 'created', email };
  }

  const promote = existing.role !== 'admin' || !existing.isActive;
  if (!promote && !input.resetPassword) return { outcome: 'unchanged', email };
  const hash = input.resetPassword ? await hashPassword(await checkedPassword(input.password)) : null;
  const outcome = [promote ? 'promoted' : null, hash ? 'password_reset' : null].filter(Boolean).join('+') as BootstrapOutcome;
  await accounts.commit([promoteToAdminStatement(db, existing.id, now, hash), audit(outcome)]);
  return { outcome, email };
}

/** The carrier for a drizzle client over D1 (the Worker's, or Deno's SQLite shim). */
export function accountsIn(db: Db): AdminAccounts {
  return {
    builder: db,
    activeAdmin: async () => (await firstActiveAdminQuery(db))[0]?.email ?? null,
    findByEmail: async (email) => {
      const [u] = await accountByEmailQuery(db, email);
      return u && { id: u.id, role: u.role, isActive: Boolean(u.is_active) };
    },
    commit: async (writes) => {
      await db.batch(writes);
    },
  };
}
