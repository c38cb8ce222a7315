/** Reads of `audit_events` (drizzle). Writes live in audit.ts; nothing updates or deletes events. */
import { and, count, desc, eq, gte, lt, lte, sql, type SQL } from 'drizzle-orm';
import * as v from 'valibot';
import type { Db } from '../db/client.ts';
import { auditEvents } from '../db/schema.ts';
import type { AuditQuery } from './query.ts';

/** One event as `GET /api/audit` answers it. */
const AuditEventSchema = v.strictObject({
  id: v.number(),
  at: v.pipe(v.string(), v.isoTimestamp()),
  actor: v.string(),
  action: v.string(),
  target: v.nullable(v.string()),
  ip: v.nullable(v.string()),
  /** Facts (ids, counts, key ids, field names), never a secret. */
  detail: v.nullable(v.record(v.string(), v.unknown())),
});

export type AuditEventView = v.InferOutput<typeof AuditEventSchema>;

/** One page, newest first; `next_before` is the cursor of the next (null on the last). */
export const AuditPageSchema = v.strictObject({ events: v.array(AuditEventSchema), next_before: v.nullable(v.number()) });

function parseDetail(raw: string | null): Record<string, unknown> | null {
  if (raw === null) return null;
  try {
    const parsed = JSON.parse(raw) as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
  } catch {
    return { unparsed: true };
  }
}

/** One page, newest first, and the cursor for the next. */
export async function listAuditEvents(db: Db, q: AuditQuery): Promise<{ events: AuditEventView[]; next_before: number | null }> {
  const conds: SQL[] = [];
  if (q.action) conds.push(eq(auditEvents.action, q.action));
  if (q.actionPrefix) conds.push(sql`substr(${auditEvents.action}, 1, ${q.actionPrefix.length}) = ${q.actionPrefix}`); // exact-case prefix (LIKE is case-insensitive)
  if (q.actor) conds.push(eq(auditEvents.actor, q.actor));
  if (q.target) conds.push(eq(auditEvents.target, q.target));
  if (q.from !== undefined) conds.push(gte(auditEvents.at, q.from));
  if (q.to !== undefined) conds.push(lte(auditEvents.at, q.to));
  if (q.before !== undefined) conds.push(lt(auditEvents.id, q.before));
  const rows = await db
    .select()
    .from(auditEvents)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(auditEvents.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  return {
    events: page.map((r) => ({
      id: r.id,
      at: new Date(r.at).toISOString(),
      actor: r.actor,
      action: r.action,
      target: r.target,
      ip: r.ip,
      detail: parseDetail(r.detail),
    })),
    next_before: rows.length > q.limit ? page[page.length - 1]!.id : null,
  };
}

/**
 * How many events have `action`, `at`, and each `detailHas` key with that
 * string value in their detail, unexecuted; the count's key is `n`, for SQL
 * text (scripts/import-credentials.ts counts its run's imports this way).
 */
export function countAuditEventsQuery(db: Db, e: { action: string; at: number; detailHas: Record<string, string> }) {
  // Details are stored as JSON.stringify writes them (audit.ts): `"key":"value"`, no spaces.
  const has = Object.entries(e.detailHas).map(([k, val]) => sql`instr(${auditEvents.detail}, ${`${JSON.stringify(k)}:${JSON.stringify(val)}`}) > 0`);
  return db
    .select({ n: count().as('n') }) // aliased: SQL text is read by column name
    .from(auditEvents)
    .where(and(eq(auditEvents.action, e.action), eq(auditEvents.at, e.at), ...has));
}

/**
 * The credential ids the pool deactivated after auth failures (its
 * `credential.deactivate` events, actor `pool`), for the alert checks.
 */
export async function poolDeactivatedCredentialIds(db: Db): Promise<Set<number>> {
  const rows = await db
    .selectDistinct({ target: auditEvents.target })
    .from(auditEvents)
    .where(and(eq(auditEvents.action, 'credential.deactivate'), eq(auditEvents.actor, 'pool')));
  const out = new Set<number>();
  for (const r of rows) {
    const m = /^credential:(\d+)$/.exec(r.target ?? '');
    if (m) out.add(Number(m[1]));
  }
  return out;
}
