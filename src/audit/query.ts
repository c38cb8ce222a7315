/**
 * The audit log's list query, shared by `GET /api/audit` and `/admin/audit`.
 * Pure: parses and checks query-string filters.
 *
 * Filters (all optional, empty = any):
 * - `action`: exact (`credential.create`), or a prefix when it ends in `*` (`credential.*`);
 * - `actor`: exact (`user:3`, `api_key:7`, `script:import-credentials`);
 * - `target`: exact (`credential:42`);
 * - `from`, `to`: ISO 8601 date or date-time (UTC when no offset). A bare date
 *   in `to` includes that whole day.
 * Paging is a cursor, newest first: `limit` 1–200 (default 50) and
 * `before` = an event id; each answer gives `next_before` for the next page
 * (null on the last). Offsets would shift as events are appended; ids do not.
 */
import { validationError, type FieldProblem } from '../schema/problems.ts';
import { intQueryParam } from '../schema/paging.ts';
import { parseIsoTime } from '../schema/time.ts';

export interface AuditQuery {
  action?: string;
  actionPrefix?: string;
  actor?: string;
  target?: string;
  from?: number;
  to?: number;
  before?: number;
  limit: number;
}

export const AUDIT_LIMIT_DEFAULT = 50;
export const AUDIT_LIMIT_MAX = 200;


function text(field: string, v: string | undefined, problems: FieldProblem[]): string | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  if (v.length > 200) {
    problems.push({ field, message: 'must be at most 200 characters' });
    return undefined;
  }
  return v.trim();
}

export function parseAuditQuery(q: Record<string, string | undefined>): AuditQuery {
  const problems: FieldProblem[] = [];
  const out: AuditQuery = { limit: AUDIT_LIMIT_DEFAULT };
  const action = text('action', q.action, problems);
  if (action?.endsWith('*')) out.actionPrefix = action.slice(0, -1);
  else if (action) out.action = action;
  out.actor = text('actor', q.actor, problems);
  out.target = text('target', q.target, problems);
  for (const [field, end] of [['from', false], ['to', true]] as const) {
    const v = text(field, q[field], problems);
    if (v === undefined) continue;
    const ms = parseIsoTime(v, end);
    if (ms === null) problems.push({ field, message: 'must be an ISO 8601 date (2026-01-31) or date-time (2026-01-31T12:00:00Z)' });
    else out[field] = ms;
  }
  out.limit = intQueryParam('limit', q.limit, { min: 1, max: AUDIT_LIMIT_MAX, default: AUDIT_LIMIT_DEFAULT }, problems);
  if (q.before) {
    if (/^[1-9][0-9]{0,15}$/.test(q.before)) out.before = Number(q.before);
    else problems.push({ field: 'before', message: 'must be an event id' });
  }
  if (out.from !== undefined && out.to !== undefined && out.from > out.to) problems.push({ field: 'from', message: 'must not be after to' });
  if (problems.length) throw validationError(problems);
  return out;
}

/** The query string for a query (for page links), without `before` unless given. */
export function auditQueryString(q: Partial<Record<'action' | 'actor' | 'target' | 'from' | 'to' | 'before' | 'limit', string>>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) params.set(k, v);
  const s = params.toString();
  return s ? `?${s}` : '';
}
