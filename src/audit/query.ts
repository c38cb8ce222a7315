/**
 * The audit log's list query, shared by `GET /api/audit` and `/admin/audit`:
 * one schema, read through the validator seam (schema/validate.ts).
 *
 * Filters (all optional, empty = any; one line of at most 200 characters):
 * - `action`: exact (`credential.create`), or a prefix when it ends in `*` (`credential.*`);
 * - `actor`: exact (`user:3`, `api_key:Ab3dEf6hIj9k`, `script:import-credentials`);
 * - `target`: exact (`credential:42`);
 * - `from`, `to`: ISO 8601 date or date-time (UTC when no offset). A bare date
 *   in `to` includes that whole day.
 * Paging is a cursor, newest first: `limit` 1–200 (default 50) and
 * `before` = an event id; each answer gives `next_before` for the next page
 * (null on the last). Offsets would shift as events are appended; ids do not.
 */
import * as v from 'valibot';
import { blankAsUndefined, idString, isoTime, queryInt, singleLine, strict } from '../schema/types.ts';

/** A checked query, as the repository reads it. */
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

const AUDIT_LIMIT_DEFAULT = 50;
const AUDIT_LIMIT_MAX = 200;

const Filter = blankAsUndefined(singleLine(200));

/** `GET /api/audit` and `/admin/audit`: the filters and the cursor, checked; `action=x.*` becomes a prefix. */
export const AuditQuery = v.pipe(
  strict({
    action: Filter,
    actor: Filter,
    target: Filter,
    from: blankAsUndefined(isoTime(false)),
    to: blankAsUndefined(isoTime(true)),
    limit: queryInt(1, AUDIT_LIMIT_MAX, AUDIT_LIMIT_DEFAULT),
    before: blankAsUndefined(v.message(idString, 'must be an event id')),
  }),
  v.forward(
    v.partialCheck([['from'], ['to']], (q) => q.from === undefined || q.to === undefined || q.from <= q.to, 'must not be after to'),
    ['from'],
  ),
  v.transform(({ action, ...rest }): AuditQuery => {
    const out: AuditQuery = { limit: rest.limit };
    if (action?.endsWith('*')) out.actionPrefix = action.slice(0, -1);
    else if (action) out.action = action;
    for (const k of ['actor', 'target', 'from', 'to', 'before'] as const) if (rest[k] !== undefined) Object.assign(out, { [k]: rest[k] });
    return out;
  }),
);

/** The query string for a query (for page links), without `before` unless given. */
export function auditQueryString(q: Partial<Record<'action' | 'actor' | 'target' | 'from' | 'to' | 'before' | 'limit', string>>): string {
  const params = new URLSearchParams();
  for (const [k, val] of Object.entries(q)) if (val) params.set(k, val);
  const s = params.toString();
  return s ? `?${s}` : '';
}
