/**
 * The `alert_deliveries` table's owner (src/db/owners.ts): the outbox of
 * messages to send and, once sent or given up, their delivery log.
 *
 * A row is claimed before it is sent (compare-and-set on its attempt count
 * and due time, pushing its due time a minute on), so the cron's drain and an
 * on-demand drain running at once never send the same attempt twice.
 */
import { and, asc, desc, eq, lte } from 'drizzle-orm';
import { openDb } from '../db/client.ts';
import { alertDeliveries } from '../db/schema.ts';
import { iso } from '../db/timestamps.ts';
import type { AlertMessage, DeliveryEvent } from './messages.ts';

export interface QueuedDelivery {
  id: number;
  destinationId: number;
  alertId: number | null;
  event: DeliveryEvent;
  message: AlertMessage;
  attempts: number;
}

/** A delivery as the log shows it: time, status, attempts; never the destination's URL. */
export interface DeliveryLogEntry {
  id: number;
  destination_id: number;
  alert_id: number | null;
  event: DeliveryEvent;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  created_at: string;
  last_attempt_at: string | null;
  next_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
}

type Row = typeof alertDeliveries.$inferSelect;

function logEntry(r: Row): DeliveryLogEntry {
  return {
    id: r.id,
    destination_id: r.destinationId,
    alert_id: r.alertId,
    event: r.event,
    status: r.status,
    attempts: r.attempts,
    created_at: iso(r.createdAt)!,
    last_attempt_at: iso(r.lastAttemptAt),
    next_attempt_at: r.status === 'pending' ? iso(r.nextAttemptAt) : null,
    last_status: r.lastStatus,
    last_error: r.lastError,
  };
}

/** Queues one message for each destination; returns the new rows' ids. */
export async function enqueue(
  db: D1Database,
  destinationIds: readonly number[],
  alertId: number | null,
  message: AlertMessage,
  now: number,
): Promise<number[]> {
  if (!destinationIds.length) return [];
  const body = JSON.stringify(message);
  const results = await db.batch<{ id: number }>(
    destinationIds.map((d) =>
      db
        .prepare(
          "INSERT INTO alert_deliveries (destination_id, alert_id, event, body, status, attempts, created_at, next_attempt_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?) RETURNING id",
        )
        .bind(d, alertId, message.event, body, now, now),
    ),
  );
  return results.map((r) => r.results[0]!.id);
}

/** Pending deliveries due at `now` (oldest first), optionally only these ids. */
export async function dueDeliveries(db: D1Database, now: number, limit = 50): Promise<QueuedDelivery[]> {
  const rows = await openDb(db)
    .select()
    .from(alertDeliveries)
    .where(and(eq(alertDeliveries.status, 'pending'), lte(alertDeliveries.nextAttemptAt, now)))
    .orderBy(asc(alertDeliveries.nextAttemptAt), asc(alertDeliveries.id))
    .limit(limit);
  return rows.map((r) => ({
    id: r.id,
    destinationId: r.destinationId,
    alertId: r.alertId,
    event: r.event,
    message: JSON.parse(r.body) as AlertMessage,
    attempts: r.attempts,
  }));
}

/** The earliest due time of a pending delivery, or null when none is pending. */
export async function nextDueAt(db: D1Database): Promise<number | null> {
  const row = await openDb(db)
    .select({ at: alertDeliveries.nextAttemptAt })
    .from(alertDeliveries)
    .where(eq(alertDeliveries.status, 'pending'))
    .orderBy(asc(alertDeliveries.nextAttemptAt))
    .limit(1)
    .get();
  return row?.at ?? null;
}

export const CLAIM_MS = 60_000;

/** Claims a due delivery for one attempt; false when another drain got it first. */
export async function claim(db: D1Database, d: QueuedDelivery, now: number): Promise<boolean> {
  const r = await db
    .prepare(
      "UPDATE alert_deliveries SET attempts = attempts + 1, last_attempt_at = ?, next_attempt_at = ? WHERE id = ? AND status = 'pending' AND attempts = ? AND next_attempt_at <= ?",
    )
    .bind(now, now + CLAIM_MS, d.id, d.attempts, now)
    .run();
  return (r.meta.changes ?? 0) > 0;
}

/** Records an attempt's outcome: delivered, retry at `nextAt`, or (nextAt null) given up. */
export async function recordAttempt(
  db: D1Database,
  id: number,
  outcome: { delivered: boolean; status: number | null; error: string | null; nextAt: number | null },
): Promise<void> {
  const status = outcome.delivered ? 'delivered' : outcome.nextAt === null ? 'failed' : 'pending';
  await db
    .prepare('UPDATE alert_deliveries SET status = ?, last_status = ?, last_error = ?, next_attempt_at = ? WHERE id = ?')
    .bind(status, outcome.status, outcome.error, outcome.delivered ? null : outcome.nextAt, id)
    .run();
}

/** The newest deliveries, for the page and GET /api/alerts/deliveries. */
export async function recentDeliveries(db: D1Database, limit = 50): Promise<DeliveryLogEntry[]> {
  return (await openDb(db).select().from(alertDeliveries).orderBy(desc(alertDeliveries.id)).limit(limit)).map(logEntry);
}

export async function findDelivery(db: D1Database, id: number): Promise<DeliveryLogEntry | undefined> {
  const r = await openDb(db).select().from(alertDeliveries).where(eq(alertDeliveries.id, id)).get();
  return r && logEntry(r);
}

/** For the destination's delete batch: its log goes with it. */
export function deleteDeliveriesOfStatement(db: D1Database, destinationId: number): D1PreparedStatement {
  return db.prepare('DELETE FROM alert_deliveries WHERE destination_id = ?').bind(destinationId);
}
