/**
 * The D1 side of the brute-force limits (rules and their reasons in
 * throttle-policy.ts), stored in `login_throttle`. Each rule is one SQL
 * statement per bucket whose arithmetic runs inside SQLite, so concurrent
 * attempts from many isolates never lose or double a count:
 *  - `reserveAttempt` upserts every bucket of an attempt in one batch (one
 *    transaction) and reads the new counts back with RETURNING, before any
 *    password is verified; a refusal is 429 `RATE_LIMITED` with Retry-After;
 *  - `successStatements` settle a verified attempt (clear or give back), to be
 *    batched with the caller's own writes;
 *  - a failed verification needs no statement: its reservation is the count.
 * Used by login (login.ts), the own-password change (own-password.ts), the
 * recovery codes (recovery-codes.ts) and the passkey sign-in (passkeys.ts).
 */
import { and, eq, gt, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { loginThrottle } from '../db/schema.ts';
import { VaultError } from '../errors.ts';
import { auditStatement, type AuditInput } from '../audit/audit.ts';
import { admits, retryAfterMs, type ThrottleBucket, type ThrottleRule } from './throttle-policy.ts';

/** The slots an admitted attempt holds, to be settled by `successStatements`. */
interface Reservation {
  buckets: ThrottleBucket[];
  at: number;
}

/** Reserves one attempt in `bucket` and returns its new count (see reserveState for the same rule in TypeScript). */
export function reserveStatement(db: Db, { bucket, rule }: ThrottleBucket, now: number) {
  const t = loginThrottle;
  const locked = sql`coalesce(${t.lockedUntil}, 0) > ${now}`;
  const fresh = sql`(${t.lockedUntil} IS NOT NULL OR ${t.windowStartedAt} + ${rule.windowMs} <= ${now})`;
  const failures = sql`CASE WHEN ${locked} THEN ${t.failures} + 1 WHEN ${fresh} THEN 1 ELSE ${t.failures} + 1 END`;
  return db
    .insert(t)
    .values({ bucket, failures: 1, windowStartedAt: now, lockedUntil: rule.maxFailures <= 1 ? now + rule.lockMs : null })
    .onConflictDoUpdate({
      target: t.bucket,
      set: {
        failures,
        windowStartedAt: sql`CASE WHEN ${locked} THEN ${t.windowStartedAt} WHEN ${fresh} THEN ${now} ELSE ${t.windowStartedAt} END`,
        lockedUntil: sql`CASE WHEN ${locked} THEN ${t.lockedUntil} WHEN ${failures} >= ${rule.maxFailures} THEN ${now + rule.lockMs} ELSE NULL END`,
      },
    })
    .returning({ failures: t.failures, windowStartedAt: t.windowStartedAt, lockedUntil: t.lockedUntil });
}

/** Gives back one reservation made at `reservedAt` (see giveBackState). */
export function giveBackStatement(db: Db, bucket: string, rule: ThrottleRule, reservedAt: number) {
  const t = loginThrottle;
  return db
    .update(t)
    .set({
      failures: sql`${t.failures} - 1`,
      lockedUntil: sql`CASE WHEN ${t.failures} - 1 >= ${rule.maxFailures} THEN ${t.lockedUntil} ELSE NULL END`,
    })
    .where(and(eq(t.bucket, bucket), lte(t.windowStartedAt, reservedAt), gt(t.failures, 0)));
}

/** Forgets a bucket (a successful attempt on its account). */
function clearStatement(db: Db, bucket: string) {
  return db.delete(loginThrottle).where(eq(loginThrottle.bucket, bucket));
}

type Statement = ReturnType<typeof giveBackStatement> | ReturnType<typeof clearStatement> | ReturnType<typeof auditStatement>;

/** Runs a non-empty list of statements as one D1 batch (one transaction). */
function batch<T extends Statement | ReturnType<typeof reserveStatement>>(db: Db, statements: T[]) {
  return db.batch(statements as [T, ...T[]]);
}

function rateLimited(waitMs: number, refusal: string): VaultError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const minutes = Math.ceil(seconds / 60);
  return new VaultError('RATE_LIMITED', `${refusal} Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, {
    retryAfter: seconds,
    details: { retry_after_seconds: seconds },
  });
}

/**
 * Reserves one attempt in every bucket, atomically, before anything is
 * verified. Returns the reservation when every bucket admits it; otherwise
 * gives back what the admitting buckets reserved (in one batch with
 * `refused.audit`, if given) and throws 429 `RATE_LIMITED` with `refused.message`.
 */
export async function reserveAttempt(db: Db, buckets: ThrottleBucket[], now: number, refused: { message: string; audit?: AuditInput }): Promise<Reservation> {
  const rows = (
    await batch(
      db,
      buckets.map((b) => reserveStatement(db, b, now)),
    )
  ).map((r) => r[0]!);
  const admitted = rows.map((row, i) => admits(row, buckets[i]!.rule));
  if (admitted.every(Boolean)) return { buckets, at: now };
  const cleanup: Statement[] = buckets.filter((_, i) => admitted[i]).map((b) => giveBackStatement(db, b.bucket, b.rule, now));
  if (refused.audit) cleanup.push(auditStatement(db, { ...refused.audit, at: now }));
  if (cleanup.length) await batch(db, cleanup);
  throw rateLimited(
    retryAfterMs(
      rows.filter((_, i) => !admitted[i]).map((r) => r.lockedUntil),
      now,
    ),
    refused.message,
  );
}

/** Settles an attempt whose password was right: each bucket as its `onSuccess` says. Unexecuted, for the caller's batch. */
export function successStatements(db: Db, reservation: Reservation) {
  return reservation.buckets.map((b) => (b.onSuccess === 'clear' ? clearStatement(db, b.bucket) : giveBackStatement(db, b.bucket, b.rule, reservation.at)));
}

/** Deletes buckets whose window and lock are both over (housekeeping). */
export function pruneStatement(db: Db, now: number, maxWindowMs: number) {
  return db
    .delete(loginThrottle)
    .where(and(lt(loginThrottle.windowStartedAt, now - maxWindowMs), or(isNull(loginThrottle.lockedUntil), lt(loginThrottle.lockedUntil, now))));
}
