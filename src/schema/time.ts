/**
 * The one reader of ISO 8601 times typed by people and scripts (audit filters,
 * API-key expiry): a date (`2026-01-31`) or a date-time
 * (`2026-01-31T12:00`, `…:00Z`, `…+02:00`, fractions of a second kept to the
 * millisecond); UTC when no offset is given.
 */

const DAY_MS = 86_400_000;

/** Unix ms for an ISO date or date-time; a bare date means its start, or its last millisecond with `endOfDay`. */
export function parseIsoTime(v: string, endOfDay: boolean): number | null {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(v);
  if (!dateOnly && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?$/.test(v)) return null;
  // Microseconds (Python's isoformat) and beyond: the vault keeps milliseconds.
  const ms3 = v.replace(/(\.\d{3})\d+/, '$1');
  const withZone = dateOnly ? `${v}T00:00:00Z` : /(Z|[+-]\d{2}:\d{2})$/.test(ms3) ? ms3 : `${ms3}Z`;
  const ms = Date.parse(withZone);
  if (!Number.isFinite(ms)) return null;
  return dateOnly && endOfDay ? ms + DAY_MS - 1 : ms;
}
