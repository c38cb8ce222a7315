/**
 * The owner of `credential_checks` (src/db/owners.ts, migration 0095): the
 * last live check of each credential with its provider (result, time, the
 * safe detail). Written with its audit event in one D1 batch (checks/service.ts).
 */
import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { openDb } from '../db/client.ts';
import { credentialChecks } from '../db/schema.ts';
import type { CheckOutcome, CheckResult } from './provider-check.ts';

export interface StoredCheck {
  credentialId: number;
  result: CheckResult;
  checkedAt: number;
  detail: string;
}

/** Replaces the credential's last check (unexecuted, for a batch). */
export function saveCheckStatement(db: Db, credentialId: number, o: CheckOutcome) {
  const row = { credentialId, result: o.result, checkedAt: Date.parse(o.checked_at), detail: o.detail };
  return db.insert(credentialChecks).values(row).onConflictDoUpdate({ target: credentialChecks.credentialId, set: row });
}

export async function lastCheck(d1: D1Database, credentialId: number): Promise<StoredCheck | undefined> {
  return openDb(d1).select().from(credentialChecks).where(eq(credentialChecks.credentialId, credentialId)).get();
}

/** The last checks of the given credentials (all when null), by credential id. */
export async function lastChecks(d1: D1Database, ids: readonly number[] | null = null): Promise<Map<number, StoredCheck>> {
  const q = openDb(d1).select().from(credentialChecks);
  const rows = ids ? (ids.length ? await q.where(inArray(credentialChecks.credentialId, [...ids])) : []) : await q;
  return new Map(rows.map((r) => [r.credentialId, r]));
}
