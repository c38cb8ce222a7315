/**
 * The D1 side of the login limits (rules in throttle-policy.ts), stored in
 * `login_throttle`. A failure is counted with one upsert per bucket whose
 * arithmetic runs inside SQLite, so concurrent failures from many isolates
 * never lose a count. The statements are returned unexecuted so the caller can
 * batch them with the audit event of the same attempt.
 */
import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { loginThrottle } from '../db/schema.ts';
import { retryAfterMs, type ThrottleBucket } from './throttle-policy.ts';

/** Milliseconds until the attempt may proceed (0 = go ahead). */
export async function throttleWait(db: Db, buckets: ThrottleBucket[], now: number): Promise<number> {
  const rows = await db
    .select({ lockedUntil: loginThrottle.lockedUntil })
    .from(loginThrottle)
    .where(inArray(loginThrottle.bucket, buckets.map((b) => b.bucket)));
  return retryAfterMs(rows.map((r) => r.lockedUntil), now);
}

/** Counts one failure in `bucket` (see nextThrottleState for the same rule in TypeScript). */
export function failureStatement(db: Db, { bucket, rule }: ThrottleBucket, now: number) {
  const stale = sql`${loginThrottle.windowStartedAt} + ${rule.windowMs} <= ${now}`;
  const failures = sql`CASE WHEN ${stale} THEN 1 ELSE ${loginThrottle.failures} + 1 END`;
  return db
    .insert(loginThrottle)
    .values({ bucket, failures: 1, windowStartedAt: now, lockedUntil: rule.maxFailures <= 1 ? now + rule.lockMs : null })
    .onConflictDoUpdate({
      target: loginThrottle.bucket,
      set: {
        failures,
        windowStartedAt: sql`CASE WHEN ${stale} THEN ${now} ELSE ${loginThrottle.windowStartedAt} END`,
        lockedUntil: sql`CASE WHEN ${failures} >= ${rule.maxFailures} THEN ${now + rule.lockMs} WHEN ${stale} THEN NULL ELSE ${loginThrottle.lockedUntil} END`,
      },
    });
}

/** A successful login clears its account bucket (never the client one: a valid
 * account of the attacker's own must not reset their guessing budget). */
export function clearStatement(db: Db, bucket: string) {
  return db.delete(loginThrottle).where(eq(loginThrottle.bucket, bucket));
}

/** Deletes buckets whose window and lock are both over (housekeeping). */
export function pruneStatement(db: Db, now: number, maxWindowMs: number) {
  return db
    .delete(loginThrottle)
    .where(
      and(
        lt(loginThrottle.windowStartedAt, now - maxWindowMs),
        or(isNull(loginThrottle.lockedUntil), lt(loginThrottle.lockedUntil, now)),
      ),
    );
}
