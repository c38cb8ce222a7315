/**
 * The owner of `credential_usage_days` (src/db/owners.ts, migration 0095):
 * usage per credential and UTC day. It sits in pool/ because the pool is its
 * writer (and usage/ reads it: pool never imports usage/). The CredentialPool's flush adds to it
 * (`addUsageDaysStatement`, in the flush's one D1 batch) and prunes it
 * (`pruneUsageDaysStatement`); the usage route and the health page read it.
 *
 * The write is raw SQL: one statement upserts every row of a flush through
 * `json_each`, adding to what is there (drizzle has no INSERT … SELECT with
 * ON CONFLICT), so it rides in the pool's raw batch with the version read.
 */
import { and, asc, eq, gte } from 'drizzle-orm';
import { openDb } from '../db/client.ts';
import { credentialUsageDays } from '../db/schema.ts';
import type { ErrorKind } from './lease-rules.ts';
/** One day of one credential (or of a sum of credentials), as the usage API answers it. */
export interface UsageDay {
  /** UTC date, YYYY-MM-DD. */
  date: string;
  leases: number;
  units: number;
  errors: Record<ErrorKind, number>;
}

/** One credential's increments for one UTC day, as the pool's flush hands them over. */
export interface UsageDayIncrement {
  credentialId: number;
  day: string;
  leases: number;
  units: number;
  rateLimited: number;
  authFailed: number;
  quotaExhausted: number;
  other: number;
}

const ADD_SQL = `
INSERT INTO credential_usage_days (credential_id, day, leases, units, rate_limited, auth_failed, quota_exhausted, other)
SELECT json_extract(value, '$.credentialId'), json_extract(value, '$.day'), json_extract(value, '$.leases'),
       MAX(0, json_extract(value, '$.units')), json_extract(value, '$.rateLimited'), json_extract(value, '$.authFailed'),
       json_extract(value, '$.quotaExhausted'), json_extract(value, '$.other')
FROM json_each(?) WHERE true
ON CONFLICT (credential_id, day) DO UPDATE SET
  leases = leases + excluded.leases,
  units = MAX(0, units + excluded.units),
  rate_limited = rate_limited + excluded.rate_limited,
  auth_failed = auth_failed + excluded.auth_failed,
  quota_exhausted = quota_exhausted + excluded.quota_exhausted,
  other = other + excluded.other`;

/** Adds the increments; units never drop below 0 (a reported correction can be negative). */
export function addUsageDaysStatement(db: D1Database, rows: readonly UsageDayIncrement[]): D1PreparedStatement {
  return db.prepare(ADD_SQL).bind(JSON.stringify(rows));
}

/** Deletes the days before `firstKeptDay` (YYYY-MM-DD). */
export function pruneUsageDaysStatement(db: D1Database, firstKeptDay: string): D1PreparedStatement {
  return db.prepare('DELETE FROM credential_usage_days WHERE day < ?').bind(firstKeptDay);
}

type Row = typeof credentialUsageDays.$inferSelect;

function usageDay(r: Row): UsageDay {
  return {
    date: r.day,
    leases: r.leases,
    units: r.units,
    errors: { rate_limited: r.rateLimited, auth_failed: r.authFailed, quota_exhausted: r.quotaExhausted, other: r.other },
  };
}

/** One credential's stored days from `fromDay` on, oldest first (days without use have no row). */
export async function usageDaysOf(db: D1Database, credentialId: number, fromDay: string): Promise<UsageDay[]> {
  const rows = await openDb(db)
    .select()
    .from(credentialUsageDays)
    .where(and(eq(credentialUsageDays.credentialId, credentialId), gte(credentialUsageDays.day, fromDay)))
    .orderBy(asc(credentialUsageDays.day));
  return rows.map(usageDay);
}

/** Every credential's stored days from `fromDay` on (the health page sums them per platform/tier). */
export async function allUsageDaysSince(db: D1Database, fromDay: string): Promise<(UsageDay & { credentialId: number })[]> {
  const rows = await openDb(db).select().from(credentialUsageDays).where(gte(credentialUsageDays.day, fromDay));
  return rows.map((r) => ({ ...usageDay(r), credentialId: r.credentialId }));
}
