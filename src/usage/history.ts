/**
 * Usage history, pure: UTC day arithmetic, the counts of one day, filling the
 * days nobody used with zeros, summing credentials into one series, and the
 * CSV form of `GET /api/credentials/:id/usage?format=csv`. No I/O: the rows
 * come from the owner of `credential_usage_days` (usage/store.ts).
 */
import { ERROR_KINDS, type ErrorKind } from '../pool/lease-rules.ts';

/** Days of history kept (older rows are pruned by the pool's flush). */
export const USAGE_RETENTION_DAYS = 400;
/** Days the usage route answers when `days` is not given. */
export const DEFAULT_USAGE_DAYS = 30;

export type ErrorCounts = Record<ErrorKind, number>;

/** One day of one credential (or of a sum of credentials), as the API answers it. */
export interface UsageDay {
  /** UTC date, YYYY-MM-DD. */
  date: string;
  leases: number;
  units: number;
  errors: ErrorCounts;
}

/** What one increment adds to a credential's day (any part may be absent). */
export interface UsageDelta {
  leases?: number;
  units?: number;
  errors?: Partial<ErrorCounts>;
}

const DAY_MS = 86_400_000;

/** The UTC date of an instant, YYYY-MM-DD. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The UTC date `n` days before the one of `ms`. */
export function utcDayBefore(ms: number, n: number): string {
  return utcDay(ms - n * DAY_MS);
}

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
