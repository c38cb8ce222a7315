/**
 * Append-only audit log, and its ONE writer: every event the vault records —
 * from a route, a Durable Object, the operator scripts or the Deno edition —
 * is built here and passes `scrub()`. Nothing in the vault updates or deletes
 * events. `detail` is a small JSON object of facts (ids, counts, key ids, field
 * *names*); callers never put a secret value in it, and `scrub()` drops any
 * key that looks like it might carry one as a second line of defence.
 *
 * One insert, several carriers:
 * - drizzle (`auditStatement`, `auditIfChangedStatement`, `recordAudit`) for
 *   code holding a `Db`, including Deno's SQLite behind the D1 shim;
 * - a D1 prepared statement (`auditD1Statement`, `auditIfChangedD1Statement`)
 *   for code holding only a D1 binding (Durable Objects, raw `DB.batch` lists);
 * - literal SQL text (`auditSql`, `auditIfChangedSql`) for the scripts that
 *   run SQL files through `wrangler d1 execute`.
 * A Node test (test/audit/writer.node.test.ts) fails if `INSERT INTO
 * audit_events` is written anywhere else in the source tree.
 */
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import { auditEvents } from '../db/schema.ts';
import type { Db } from '../db/client.ts';
import { d1Statement, sqlText, textOnlyDb } from '../db/sql-text.ts';

export interface AuditInput {
  actor: string;
  action: string;
  target?: string | null;
  ip?: string | null;
  detail?: Record<string, unknown>;
  at?: number;
}

const SECRET_LOOKING = /pass(word)?|secret|token|api_?key$|^key$|fields_values|plaintext/i;

export const REDACTED = '[redacted]';

/** The value with every secret-looking key, at any depth, replaced by REDACTED. */
function scrubbed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrubbed);
  if (value === null || typeof value !== 'object') return value;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value; // Date and the like: JSON.stringify writes them as they are
  const safe: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) safe[k] = SECRET_LOOKING.test(k) ? REDACTED : scrubbed(v);
  return safe;
}

function scrub(detail: Record<string, unknown> | undefined): string | null {
  return detail ? JSON.stringify(scrubbed(detail)) : null;
}

/** A conditional event (see `auditIfChangedStatement`). */
interface ConditionalAuditInput extends AuditInput {
  /** Names the target from the row the statement before inserted, e.g. `'credential:'` → `credential:42`. */
  targetPrefixFromLastInsert?: string;
  /**
   * Detail facts only the database knows when the batch commits (e.g. how many
   * rows a compare-and-set delete removed), as SQL scalar expressions; merged
   * into the scrubbed detail, and scrubbed by key name like the rest.
   */
  detailSql?: Record<string, SQL>;
  /** When to record; default: the statement just before it changed a row (`changes() > 0`). */
  when?: SQL;
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

function detailExpression(e: ConditionalAuditInput): SQL {
  const base = scrub(e.detail ?? (e.detailSql ? {} : undefined));
  const extra = Object.entries(e.detailSql ?? {});
  if (!extra.length) return sql`${base}`;
  const sets = extra.map(([k, expr]) => (SECRET_LOOKING.test(k) ? sql`${`$.${k}`}, ${REDACTED}` : sql`${`$.${k}`}, (${expr})`));
  return sql`json_set(${base}, ${sql.join(sets, sql`, `)})`;
}

/**
 * An insert that records the event only if the statement just before it in
 * the same `db.batch` changed a row (SQLite `changes()`), so an update or
 * delete that matched nothing (the row vanished meanwhile) leaves no event;
 * or, with `when`, only if that condition holds when it runs.
 * `targetPrefixFromLastInsert` names the target from the row that statement
 * inserted, e.g. `'credential:'` → `credential:42`.
 */
export function auditIfChangedStatement(db: Db, e: ConditionalAuditInput) {
  const values: Record<string, SQL> = {
    at: sql`${e.at ?? Date.now()}`,
    actor: sql`${e.actor}`,
    action: sql`${e.action}`,
    target: e.targetPrefixFromLastInsert !== undefined ? sql`${e.targetPrefixFromLastInsert} || last_insert_rowid()` : sql`${e.target ?? null}`,
    ip: sql`${e.ip ?? null}`,
    detail: detailExpression(e),
  };
  // drizzle's INSERT … SELECT lists every column in table order; id (and any
  // column added later with a default) gets NULL, i.e. its automatic value.
  const select = Object.keys(getTableColumns(auditEvents)).map((k) => values[k] ?? sql`NULL`);
  return db.insert(auditEvents).select(sql`SELECT ${sql.join(select, sql`, `)} WHERE ${e.when ?? sql`changes() > 0`}`);
}

/** `auditStatement` for code that holds a raw D1 binding: a statement for `d1.batch([...])` or `.run()`. */
export function auditD1Statement(d1: D1Database, e: AuditInput): D1PreparedStatement {
  return d1Statement(d1, auditStatement(textOnlyDb, e));
}

/** `auditIfChangedStatement` for code that holds a raw D1 binding. */
export function auditIfChangedD1Statement(d1: D1Database, e: ConditionalAuditInput): D1PreparedStatement {
  return d1Statement(d1, auditIfChangedStatement(textOnlyDb, e));
}

/** `auditStatement` as one literal SQL statement, for the scripts' `wrangler d1 execute` files. */
export function auditSql(e: AuditInput): string {
  return sqlText(auditStatement(textOnlyDb, e));
}

/** `auditIfChangedStatement` as one literal SQL statement. */
export function auditIfChangedSql(e: ConditionalAuditInput): string {
  return sqlText(auditIfChangedStatement(textOnlyDb, e));
}

export async function recordAudit(db: Db, e: AuditInput): Promise<void> {
  await auditStatement(db, e);
}

/**
 * Records the event unless one with the same action and target exists (one
 * statement, so two replays at once still leave one event). For steps that
 * may run again, such as the rotation's final event.
 */
export async function recordAuditOnce(db: Db, e: AuditInput & { target: string }): Promise<void> {
  await auditIfChangedStatement(db, {
    ...e,
    when: sql`NOT EXISTS (SELECT 1 FROM ${auditEvents} WHERE ${auditEvents.action} = ${e.action} AND ${auditEvents.target} = ${e.target})`,
  });
}
