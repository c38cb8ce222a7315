/**
 * Append-only audit log. Nothing in the vault updates or deletes events.
 * `detail` is a small JSON object of facts (ids, counts, key ids, field
 * *names*); callers never put a secret value in it, and `auditStatement`
 * drops any key that looks like it might carry one as a second line of defence.
 */
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import { auditEvents } from '../db/schema.ts';
import type { Db } from '../db/client.ts';

export interface AuditInput {
  actor: string;
  action: string;
  target?: string | null;
  ip?: string | null;
  detail?: Record<string, unknown>;
  at?: number;
}

const SECRET_LOOKING = /pass(word)?|secret|token|api_?key$|^key$|fields_values|plaintext/i;

function scrub(detail: Record<string, unknown> | undefined): string | null {
  if (!detail) return null;
  const safe: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(detail)) safe[k] = SECRET_LOOKING.test(k) ? '[redacted]' : v;
  return JSON.stringify(safe);
}

/** The insert, unexecuted, so it can join a `db.batch([...])` with the change it records. */
export function auditStatement(db: Db, e: AuditInput) {
  return db.insert(auditEvents).values({
    at: e.at ?? Date.now(),
    actor: e.actor,
    action: e.action,
    target: e.target ?? null,
    ip: e.ip ?? null,
    detail: scrub(e.detail),
  });
}

/**
 * An insert that records the event only if the statement just before it in
 * the same `db.batch` changed a row (SQLite `changes()`), so an update or
 * delete that matched nothing (the row vanished meanwhile) leaves no event.
 * `targetPrefixFromLastInsert` names the target from the row that statement
 * inserted, e.g. `'credential:'` → `credential:42`.
 */
export function auditIfChangedStatement(db: Db, e: AuditInput & { targetPrefixFromLastInsert?: string }) {
  const values: Record<string, SQL> = {
    at: sql`${e.at ?? Date.now()}`,
    actor: sql`${e.actor}`,
    action: sql`${e.action}`,
    target: e.targetPrefixFromLastInsert !== undefined ? sql`${e.targetPrefixFromLastInsert} || last_insert_rowid()` : sql`${e.target ?? null}`,
    ip: sql`${e.ip ?? null}`,
    detail: sql`${scrub(e.detail)}`,
  };
  // drizzle's INSERT … SELECT lists every column in table order; id (and any
  // column added later with a default) gets NULL, i.e. its automatic value.
  const select = Object.keys(getTableColumns(auditEvents)).map((k) => values[k] ?? sql`NULL`);
  return db.insert(auditEvents).select(sql`SELECT ${sql.join(select, sql`, `)} WHERE changes() > 0`);
}

export async function recordAudit(db: Db, e: AuditInput): Promise<void> {
  await auditStatement(db, e);
}
