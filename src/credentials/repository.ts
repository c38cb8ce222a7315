/**
 * D1 access for `api_credentials` through drizzle. Thin on purpose: reads,
 * and unexecuted write statements that the service puts into one
 * `db.batch([...])` together with their audit event.
 */
import { and, asc, count, eq, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { apiCredentials, type CredentialRow } from '../db/schema.ts';
import type { CredentialListQuery } from './input.ts';

export type NewCredentialRow = typeof apiCredentials.$inferInsert;
export type CredentialRowChanges = Partial<Omit<NewCredentialRow, 'id' | 'platform' | 'tier' | 'createdAt' | 'createdBy'>>;

export async function findCredentialRow(db: Db, id: number): Promise<CredentialRow | undefined> {
  return db.select().from(apiCredentials).where(eq(apiCredentials.id, id)).get();
}

function listWhere(q: Omit<CredentialListQuery, 'limit' | 'offset'>): SQL | undefined {
  const conds: SQL[] = [];
  if (q.platform) conds.push(eq(apiCredentials.platform, q.platform));
  if (q.tier) conds.push(eq(apiCredentials.tier, q.tier));
  if (q.active !== undefined) conds.push(eq(apiCredentials.isActive, q.active));
  return conds.length ? and(...conds) : undefined;
}

/** One page of rows (ordered platform, tier, name, id: stable under offset paging) and the filtered total. */
export async function listCredentialRows(db: Db, q: CredentialListQuery): Promise<{ rows: CredentialRow[]; total: number }> {
  const where = listWhere(q);
  const [rows, totals] = await db.batch([
    db
      .select()
      .from(apiCredentials)
      .where(where)
      .orderBy(asc(apiCredentials.platform), asc(apiCredentials.tier), asc(apiCredentials.credentialName), asc(apiCredentials.id))
      .limit(q.limit)
      .offset(q.offset),
    db.select({ n: count() }).from(apiCredentials).where(where),
  ]);
  return { rows, total: totals[0]?.n ?? 0 };
}

export function insertCredentialStatement(db: Db, row: NewCredentialRow) {
  return db.insert(apiCredentials).values(row).returning();
}

export function updateCredentialStatement(db: Db, id: number, changes: CredentialRowChanges) {
  return db.update(apiCredentials).set(changes).where(eq(apiCredentials.id, id)).returning();
}

export function deleteCredentialStatement(db: Db, id: number) {
  return db.delete(apiCredentials).where(eq(apiCredentials.id, id)).returning({ id: apiCredentials.id });
}
