/**
 * The `passkeys` and `webauthn_challenges` tables (migration 0080): every
 * query on them. The ceremony rules are passkeys.ts; the routes passkeys-api.ts.
 *
 * A challenge is consumed by one conditional UPDATE (unused, unexpired, of
 * the right purpose) that returns the row, so two requests racing with the
 * same challenge cannot both pass; when it returns nothing, `challengeState`
 * reads why (unknown or expired, used — and by which response).
 */
import { and, asc, count, eq, gt, isNull, lt } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { passkeys, webauthnChallenges } from '../db/schema.ts';

export type PasskeyRow = typeof passkeys.$inferSelect;
export type ChallengePurpose = 'register' | 'login';

export function listPasskeys(db: Db, userId: number): Promise<PasskeyRow[]> {
  return db.select().from(passkeys).where(eq(passkeys.userId, userId)).orderBy(asc(passkeys.id));
}

export async function countPasskeys(db: Db, userId: number): Promise<number> {
  const [row] = await db.select({ n: count() }).from(passkeys).where(eq(passkeys.userId, userId));
  return row?.n ?? 0;
}

export async function findPasskey(db: Db, id: number): Promise<PasskeyRow | undefined> {
  const [row] = await db.select().from(passkeys).where(eq(passkeys.id, id));
  return row;
}

export async function findPasskeyByCredentialId(db: Db, credentialId: string): Promise<PasskeyRow | undefined> {
  const [row] = await db.select().from(passkeys).where(eq(passkeys.credentialId, credentialId));
  return row;
}

export function insertPasskeyStatement(db: Db, p: Omit<PasskeyRow, 'id' | 'lastUsedAt'>) {
  return db.insert(passkeys).values(p).returning();
}

export function deletePasskeyStatement(db: Db, id: number) {
  return db.delete(passkeys).where(eq(passkeys.id, id)).returning({ id: passkeys.id });
}

export function renamePasskeyStatement(db: Db, id: number, name: string) {
  return db.update(passkeys).set({ name }).where(eq(passkeys.id, id)).returning({ id: passkeys.id });
}

export function deleteUserPasskeysStatement(db: Db, userId: number) {
  return db.delete(passkeys).where(eq(passkeys.userId, userId)).returning({ id: passkeys.id });
}

/**
 * Records a use: the new counter and the time, only while the stored counter
 * is still the one the assertion was checked against (compare-and-set), so two
 * concurrent uses of one counter cannot both be recorded.
 */
export function recordPasskeyUseStatement(db: Db, id: number, checkedCounter: number, newCounter: number, now: number) {
  return db
    .update(passkeys)
    .set({ counter: newCounter, lastUsedAt: now })
    .where(and(eq(passkeys.id, id), eq(passkeys.counter, checkedCounter)))
    .returning({ id: passkeys.id });
}

export function newChallengeStatement(db: Db, c: { challenge: string; purpose: ChallengePurpose; userId: number | null; expiresAt: number }) {
  return db.insert(webauthnChallenges).values(c);
}

/** Forgets challenges expired for a while (housekeeping, batched with a new one). */
export function pruneChallengesStatement(db: Db, now: number, keepMs: number) {
  return db.delete(webauthnChallenges).where(lt(webauthnChallenges.expiresAt, now - keepMs));
}

/** Marks the challenge used by `usedBy`, if it is unused, unexpired and for `purpose`; returns its row, or undefined. */
export async function consumeChallenge(db: Db, challenge: string, purpose: ChallengePurpose, usedBy: string, now: number) {
  const t = webauthnChallenges;
  const [row] = await db
    .update(t)
    .set({ usedAt: now, usedBy })
    .where(and(eq(t.challenge, challenge), eq(t.purpose, purpose), isNull(t.usedAt), gt(t.expiresAt, now)))
    .returning();
  return row;
}

/** Why a challenge could not be consumed. */
export async function challengeState(
  db: Db,
  challenge: string,
  purpose: ChallengePurpose,
): Promise<{ usedBy: string | null; usedAt: number | null } | undefined> {
  const t = webauthnChallenges;
  const [row] = await db
    .select({ usedBy: t.usedBy, usedAt: t.usedAt })
    .from(t)
    .where(and(eq(t.challenge, challenge), eq(t.purpose, purpose)));
  return row;
}
