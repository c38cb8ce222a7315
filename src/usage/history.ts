/**
 * Usage history, pure: the counts of one day (UTC day arithmetic is the pool's,
 * re-exported), filling the
 * days nobody used with zeros, summing credentials into one series, and the
 * CSV form of `GET /api/credentials/:id/usage?format=csv`. No I/O: the rows
 * come from the owner of `credential_usage_days` (pool/usage-days-store.ts).
 */
import { ERROR_KINDS } from '../pool/lease-rules.ts';
import type { UsageDay } from '../pool/usage-days-store.ts';
import { USAGE_RETENTION_DAYS, utcDay, utcDayBefore } from '../pool/usage-days.ts';

export type { UsageDay };
export { USAGE_RETENTION_DAYS, utcDay, utcDayBefore };

/** Days the usage route answers when `days` is not given. */
export const DEFAULT_USAGE_DAYS = 30;

export function emptyDay(date: string): UsageDay {
  return { date, leases: 0, units: 0, errors: { rate_limited: 0, auth_failed: 0, quota_exhausted: 0, other: 0 } };
}

/**
 * The last `days` UTC days up to and including today's, oldest first, each
 * from `rows` (summed when several rows share a date) or zero.
 */
export function fillDays(rows: readonly UsageDay[], days: number, now: number): UsageDay[] {
  const byDate = new Map<string, UsageDay>();
  for (const r of rows) {
    const d = byDate.get(r.date) ?? emptyDay(r.date);
    d.leases += r.leases;
    d.units += r.units;
    for (const k of ERROR_KINDS) d.errors[k] += r.errors[k];
    byDate.set(r.date, d);
  }
  const out: UsageDay[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const date = utcDayBefore(now, i);
    out.push(byDate.get(date) ?? emptyDay(date));
  }
  return out;
}

export const USAGE_CSV_HEADER = ['date', 'leases', 'units', ...ERROR_KINDS.map((k) => `errors_${k}`)];

/** The same days as CSV (RFC 4180; every cell is a date or a number, so nothing needs quoting). */
export function usageCsv(days: readonly UsageDay[]): string {
  const lines = [USAGE_CSV_HEADER.join(',')];
  for (const d of days) lines.push([d.date, d.leases, d.units, ...ERROR_KINDS.map((k) => d.errors[k])].join(','));
  return `${lines.join('\r\n')}\r\n`;
}
