/**
 * The `users` table: reads, and every change written together with its audit
 * event in one D1 batch (D1's transaction). Rules live in user-rules.ts; the
 * public JSON shape (`publicUser`) never carries the password hash.
 */
import { and, asc, count, eq, inArray, sql, type SQLWrapper } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { Db } from '../db/client.ts';
import { users, type User } from '../db/schema.ts';
import { VaultError } from '../errors.ts';
import { auditStatement } from '../audit/audit.ts';
import { hashPassword } from '../crypto/password.ts';
import { assertKeepsAnAdmin, changeRevokesSessions, type NewUserInput, type UserChanges } from './user-rules.ts';
import { iso } from '../db/timestamps.ts';
import type { Actor } from '../kernel/principal.ts';

/** The user as the API shows it: no hash. */
export function publicUser(u: User) {
  return {
    id: u.id,
    email: u.email,
    display_name: u.displayName,
    role: u.role,
    is_active: u.isActive,
    token_version: u.tokenVersion,
    last_login_at: iso(u.lastLoginAt),
    created_at: iso(u.createdAt),
    updated_at: iso(u.updatedAt),
  };
}

export async function findUserByEmail(db: Db, email: string): Promise<User | undefined> {
  // The column is COLLATE NOCASE; emails are stored case-folded as well.
  return db.query.users.findFirst({ where: eq(users.email, email) });
}

/** The user with this id, or undefined. */
export async function findUser(db: Db, id: number): Promise<User | undefined> {
  return Number.isSafeInteger(id) ? db.query.users.findFirst({ where: eq(users.id, id) }) : undefined;
}

/** The users whose id the subquery selects, unexecuted (e.g. an API key's owner: api-key-repository.ts `apiKeyOwnerIdSubquery`). */
export function usersWithIdIn(db: Db, ids: SQLWrapper) {
  return db.select().from(users).where(inArray(users.id, ids));
}

export async function getUser(db: Db, id: number): Promise<User> {
  const user = await findUser(db, id);
  if (!user) throw new VaultError('NOT_FOUND', `No user with id ${id}.`);
  return user;
}

/** Every user's id, email and standing (role, active): unexecuted, for a caller's batch (API-key lists join creators with it). */
export function userStandingsQuery(db: Db) {
  return db.select({ id: users.id, email: users.email, role: users.role, isActive: users.isActive }).from(users);
}

/** The login's stamp (and a rehashed password, if the hash was upgraded): unexecuted, for the login's batch. */
export function recordLoginStatement(db: Db, id: number, now: number, rehashed: string | null) {
  return db
    .update(users)
    .set({ lastLoginAt: now, ...(rehashed ? { hashedPassword: rehashed } : {}) })
    .where(eq(users.id, id))
    .returning();
}

/**
 * Every user's role and active flag, as the pool's working copy pairs them
 * with API keys (pool/d1-source.ts). A raw statement because it rides in the
 * copy's one raw D1 batch with the version read.
 */
export function poolCopyUserStandingsStatement(d1: D1Database): D1PreparedStatement {
  return d1.prepare('SELECT id, role, is_active FROM users');
}

export async function listUsers(db: Db): Promise<User[]> {
  return db.select().from(users).orderBy(asc(users.email));
}

async function activeAdminCount(db: Db): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(users)
    .where(and(eq(users.role, 'admin'), eq(users.isActive, true)));
  return row?.n ?? 0;
}

/**
 * One active admin's email (the oldest), unexecuted; selection keys are the
 * column names, so the scripts can run it as SQL text (sql-text.ts) too.
 */
export function firstActiveAdminQuery(db: Db) {
  return db
    .select({ email: users.email })
    .from(users)
    .where(and(eq(users.role, 'admin'), eq(users.isActive, true)))
    .orderBy(asc(users.id))
    .limit(1);
}

/** The account state of one email (case-folded), unexecuted; keys are column names as in `firstActiveAdminQuery`. */
export function accountByEmailQuery(db: Db, email: string) {
  return db.select({ id: users.id, role: users.role, is_active: users.isActive }).from(users).where(eq(users.email, email)).limit(1);
}

/** Every message in an error and its causes (drizzle wraps D1's error). */
function errorText(e: unknown): string {
  const parts: string[] = [];
  for (let cur = e, depth = 0; cur instanceof Error && depth < 5; cur = cur.cause, depth++) parts.push(cur.message);
  return parts.join(' | ');
}

function mapWriteError(e: unknown): never {
  const text = errorText(e);
  if (/LAST_ACTIVE_ADMIN/.test(text)) throw new VaultError('CONFLICT', 'This is the last active admin: make another user an admin first.');
  if (/UNIQUE constraint failed: users\.email/i.test(text)) throw new VaultError('CONFLICT', 'A user with this email already exists.');
  throw e;
}

/** The insert of a new active user (password already hashed), unexecuted: the Worker and the bootstrap core (admin-bootstrap.ts) share it. */
export function newUserStatement(db: Db, u: { email: string; hashedPassword: string; displayName: string; role: User['role']; now: number }) {
  return db
    .insert(users)
    .values({ email: u.email, hashedPassword: u.hashedPassword, displayName: u.displayName, role: u.role, isActive: true, createdAt: u.now, updatedAt: u.now })
    .returning();
}

/**
 * Makes a user an active admin, optionally with a new password hash, and ends
 * their sessions (token_version + 1), unexecuted (admin-bootstrap.ts).
 */
export function promoteToAdminStatement(db: Db, id: number, now: number, hashedPassword: string | null) {
  return db
    .update(users)
    .set({ role: 'admin', isActive: true, tokenVersion: sql`${users.tokenVersion} + 1`, updatedAt: now, ...(hashedPassword ? { hashedPassword } : {}) })
    .where(eq(users.id, id));
}

export async function createUser(db: Db, input: NewUserInput, by: Actor): Promise<User> {
  const hashed = await hashPassword(input.password);
  const now = Date.now();
  try {
    const [inserted] = await db.batch([
      newUserStatement(db, { email: input.email, hashedPassword: hashed, displayName: input.displayName, role: input.role, now }),
      auditStatement(db, {
        actor: by.actor,
        action: 'user.create',
        target: `email:${input.email}`,
        ip: by.ip,
        detail: { role: input.role },
        at: now,
      }),
    ]);
    return inserted[0]!;
  } catch (e) {
    mapWriteError(e);
  }
}

/** Applies role / activation / display-name changes; a role or activation change ends the user's sessions. */
export async function updateUser(db: Db, id: number, changes: UserChanges, by: Actor): Promise<User> {
  const target = await getUser(db, id);
  assertKeepsAnAdmin(target, changes, await activeAdminCount(db));
  const revoke = changeRevokesSessions(target, changes);
  const now = Date.now();
  const detail: Record<string, unknown> = {};
  if (changes.role !== undefined && changes.role !== target.role) detail.role = { from: target.role, to: changes.role };
  if (changes.isActive !== undefined && changes.isActive !== target.isActive) detail.is_active = changes.isActive;
  if (changes.displayName !== undefined && changes.displayName !== target.displayName) detail.display_name_changed = true;
  if (revoke) detail.sessions_revoked = true;
  try {
    const [updated] = await db.batch([
      db
        .update(users)
        .set({
          ...(changes.role !== undefined ? { role: changes.role } : {}),
          ...(changes.isActive !== undefined ? { isActive: changes.isActive } : {}),
          ...(changes.displayName !== undefined ? { displayName: changes.displayName } : {}),
          ...(revoke ? { tokenVersion: sql`${users.tokenVersion} + 1` } : {}),
          updatedAt: now,
        })
        .where(eq(users.id, id))
        .returning(),
      auditStatement(db, { actor: by.actor, action: 'user.update', target: `user:${id}`, ip: by.ip, detail, at: now }),
    ]);
    return updated[0]!;
  } catch (e) {
    mapWriteError(e);
  }
}

/** Bumps token_version: every token issued to the user so far stops working. */
export async function revokeSessions(db: Db, id: number, by: Actor, action = 'user.revoke_sessions'): Promise<User> {
  await getUser(db, id);
  const now = Date.now();
  const [updated] = await db.batch([
    db
      .update(users)
      .set({ tokenVersion: sql`${users.tokenVersion} + 1`, updatedAt: now })
      .where(eq(users.id, id))
      .returning(),
    auditStatement(db, { actor: by.actor, action, target: `user:${id}`, ip: by.ip, at: now }),
  ]);
  return updated[0]!;
}

/**
 * Sets a new password (already validated) and ends every session of the user.
 * `also`: statements to commit in the same batch (e.g. settling a brute-force reservation).
 */
export async function setPassword(
  db: Db,
  id: number,
  password: string,
  by: Actor,
  action = 'user.set_password',
  also: BatchItem<'sqlite'>[] = [],
): Promise<User> {
  await getUser(db, id);
  const hashed = await hashPassword(password);
  const now = Date.now();
  const [updated] = await db.batch([
    db
      .update(users)
      .set({ hashedPassword: hashed, tokenVersion: sql`${users.tokenVersion} + 1`, updatedAt: now })
      .where(eq(users.id, id))
      .returning(),
    auditStatement(db, { actor: by.actor, action, target: `user:${id}`, ip: by.ip, at: now }),
    ...also,
  ]);
  return updated[0]!;
}
