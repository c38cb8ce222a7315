/**
 * The `recovery_codes` table (migration 0080): hashes only. The rules are
 * recovery-codes.ts.
 */
import { and, count, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { recoveryCodes } from '../db/schema.ts';

/** A new set replaces every earlier code of the user (used or not): delete, then insert, in the caller's batch. */
export function replaceRecoveryCodesStatements(db: Db, userId: number, hashes: string[], now: number) {
  return [
    db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)),
    db.insert(recoveryCodes).values(hashes.map((codeHash) => ({ userId, codeHash, createdAt: now }))),
  ] as const;
}

/** Uses up the code if it is the user's and unused; returns the row id, or nothing (one statement, so a code is used once). */
export async function useRecoveryCode(db: Db, userId: number, codeHash: string, now: number): Promise<number | undefined> {
  const [row] = await db
    .update(recoveryCodes)
    .set({ usedAt: now })
    .where(and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.codeHash, codeHash), isNull(recoveryCodes.usedAt)))
    .returning({ id: recoveryCodes.id });
  return row?.id;
}

export async function unusedRecoveryCodes(db: Db, userId: number): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
  return row?.n ?? 0;
}
