/**
 * The `alerts` table's owner (src/db/owners.ts): the open alerts, opening
 * and resolving them from a check's findings, and silencing one.
 *
 * One open alert per (kind, subject): the partial unique index of migration
 * 0090 makes a second open an `INSERT OR IGNORE` that inserts nothing, and a
 * resolve is a compare-and-set on `resolved_at IS NULL`. So when two checks
 * race, exactly one of them sees each opening and each resolving, and only
 * that one delivers it (never repeated while the alert stays open).
 */
import { asc, isNull } from 'drizzle-orm';
import { openDb } from '../db/client.ts';
import { alerts } from '../db/schema.ts';
import { iso } from '../db/timestamps.ts';
import { auditIfChangedD1Statement } from '../audit/audit.ts';
import { VaultError } from '../errors.ts';
import type { Actor } from '../kernel/principal.ts';
import type { AlertKind, Finding, Severity } from './rules.ts';

/** An alert as the store reads it (times in unix ms). */
export interface AlertRecord {
  id: number;
  kind: AlertKind;
  subject: string;
  severity: Severity;
  summary: string;
  openedAt: number;
  resolvedAt: number | null;
  silencedUntil: number | null;
}

/** An open alert as `GET /api/alerts` answers it (exactly these fields). */
export interface PublicAlert {
  id: number;
  kind: AlertKind;
  subject: string;
  severity: Severity;
  opened_at: string;
}

export function publicAlert(a: AlertRecord): PublicAlert {
  return { id: a.id, kind: a.kind, subject: a.subject, severity: a.severity, opened_at: iso(a.openedAt)! };
}

function record(r: typeof alerts.$inferSelect): AlertRecord {
  return { ...r, kind: r.kind as AlertKind };
}

/**
 * Every open alert, oldest first (critical ones are not reordered: the page
 * and the banner show severity beside each). For the health page too.
 */
export async function listOpenAlerts(db: D1Database): Promise<AlertRecord[]> {
  const rows = await openDb(db).select().from(alerts).where(isNull(alerts.resolvedAt)).orderBy(asc(alerts.openedAt), asc(alerts.id));
  return rows.map(record);
}

/** What one check changed: the alerts it opened and those it resolved (each seen by this check only). */
export interface CheckChanges {
  opened: AlertRecord[];
  resolved: AlertRecord[];
}

/**
 * Opens an alert for each finding not already open, and resolves each open
 * alert whose kind was evaluated (`evaluated`) and which no finding names any
 * more. A kind the check could not evaluate (its source unreachable) keeps
 * its open alerts as they are: not knowing is not "resolved".
 */
export async function applyFindings(db: D1Database, findings: readonly Finding[], evaluated: ReadonlySet<AlertKind>, now: number): Promise<CheckChanges> {
  const open = await listOpenAlerts(db);
  const openKeys = new Set(open.map((a) => `${a.kind}\u0000${a.subject}`));
  const foundKeys = new Set(findings.map((f) => `${f.kind}\u0000${f.subject}`));
  const toOpen = findings.filter((f) => !openKeys.has(`${f.kind}\u0000${f.subject}`));
  const toResolve = open.filter((a) => evaluated.has(a.kind) && !foundKeys.has(`${a.kind}\u0000${a.subject}`));
  if (!toOpen.length && !toResolve.length) return { opened: [], resolved: [] };
  const statements = [
    ...toOpen.map((f) =>
      db
        .prepare('INSERT OR IGNORE INTO alerts (kind, subject, severity, summary, opened_at) VALUES (?, ?, ?, ?, ?) RETURNING *')
        .bind(f.kind, f.subject, f.severity, f.summary, now),
    ),
    ...toResolve.map((a) => db.prepare('UPDATE alerts SET resolved_at = ? WHERE id = ? AND resolved_at IS NULL RETURNING *').bind(now, a.id)),
  ];
  const results = await db.batch<RawAlertRow>(statements);
  const rows = results.map((r) => r.results[0]).map((r) => (r ? fromRaw(r) : null));
  return {
    opened: rows.slice(0, toOpen.length).filter((r): r is AlertRecord => r !== null),
    resolved: rows.slice(toOpen.length).filter((r): r is AlertRecord => r !== null),
  };
}

type RawAlertRow = {
  id: number;
  kind: string;
  subject: string;
  severity: Severity;
  summary: string;
  opened_at: number;
  resolved_at: number | null;
  silenced_until: number | null;
};

function fromRaw(r: RawAlertRow): AlertRecord {
  return {
    id: r.id,
    kind: r.kind as AlertKind,
    subject: r.subject,
    severity: r.severity,
    summary: r.summary,
    openedAt: r.opened_at,
    resolvedAt: r.resolved_at,
    silencedUntil: r.silenced_until,
  };
}

/** Mutes the alert's deliveries until `until` (unix ms), audited in the same batch. */
export async function silenceAlert(db: D1Database, id: number, until: number, who: Actor): Promise<AlertRecord> {
  const now = Date.now();
  const [updated] = await db.batch([
    db.prepare('UPDATE alerts SET silenced_until = ? WHERE id = ? RETURNING *').bind(until, id),
    // Only when the update touched the alert (an unknown id records nothing).
    auditIfChangedD1Statement(db, {
      at: now,
      actor: who.actor,
      ip: who.ip,
      action: 'alert.silence',
      target: `alert:${id}`,
      detail: { until: new Date(until).toISOString() },
    }),
  ]);
  const row = (updated!.results as RawAlertRow[])[0];
  if (!row) throw new VaultError('NOT_FOUND', 'No such alert.');
  return fromRaw(row);
}

/** Is the alert muted at `now`? */
export function isSilenced(a: Pick<AlertRecord, 'silencedUntil'>, now: number): boolean {
  return a.silencedUntil !== null && a.silencedUntil > now;
}
