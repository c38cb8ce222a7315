/**
 * The pool's side of the usage history (issue 23): what the hot path counts
 * per credential and UTC day (leases, units, errors by kind), waiting in the
 * object's SQLite storage until the alarm's flush adds it to D1's
 * `credential_usage_days` (owner: pool/usage-days-store.ts) in the same batch as the
 * rest of the write-back.
 *
 * Tables (in the CredentialPool's storage; created by object-schema.ts migration 5):
 *   usage_day_outbox(credential_id, day, leases, units, rate_limited, auth_failed, quota_exhausted, other)
 *   usage_day_inflight(…the same…)   while a flush is on its way to D1
 *
 * Same protocol as the copy's outbox (copy-store.ts): `take` moves the outbox
 * in flight, `done` drops it once D1 has it, `failed` merges it back. Once
 * per UTC day the flush also prunes days older than USAGE_RETENTION_DAYS.
 */
import { addUsageDaysStatement, pruneUsageDaysStatement, type UsageDayIncrement } from './usage-days-store.ts';
import type { ErrorKind } from './lease-rules.ts';

/** Days of history kept (older rows are pruned by the flush). */
export const USAGE_RETENTION_DAYS = 400;
const DAY_MS = 86_400_000;

/** The UTC date of an instant, YYYY-MM-DD. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The UTC date `n` days before the one of `ms`. */
export function utcDayBefore(ms: number, n: number): string {
  return utcDay(ms - n * DAY_MS);
}

const COLUMNS = 'credential_id, day, leases, units, rate_limited, auth_failed, quota_exhausted, other';
const ADD = (into: string) => `INSERT INTO ${into} (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (credential_id, day) DO UPDATE SET leases = leases + excluded.leases, units = units + excluded.units,
  rate_limited = rate_limited + excluded.rate_limited, auth_failed = auth_failed + excluded.auth_failed,
  quota_exhausted = quota_exhausted + excluded.quota_exhausted, other = other + excluded.other`;
const MERGE = (from: string, into: string) => `INSERT INTO ${into} (${COLUMNS}) SELECT ${COLUMNS} FROM ${from} WHERE true
  ON CONFLICT (credential_id, day) DO UPDATE SET leases = leases + excluded.leases, units = units + excluded.units,
  rate_limited = rate_limited + excluded.rate_limited, auth_failed = auth_failed + excluded.auth_failed,
  quota_exhausted = quota_exhausted + excluded.quota_exhausted, other = other + excluded.other`;

const ERROR_COLUMN: Record<ErrorKind, keyof UsageDayIncrement> = {
  rate_limited: 'rateLimited',
  auth_failed: 'authFailed',
  quota_exhausted: 'quotaExhausted',
  other: 'other',
};

/** What one flush writes, and what to do once D1 answered. */
export interface UsageDayFlush {
  statements: D1PreparedStatement[];
  done(): void;
  failed(): void;
}

export class UsageDayOutbox {
  readonly #sql: SqlStorage;
  /** The UTC day the flush last pruned D1 on (once per day per instance). */
  #prunedOn = '';

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  #add(credentialId: number, day: string, d: Partial<Omit<UsageDayIncrement, 'credentialId' | 'day'>>): void {
    this.#sql.exec(
      ADD('usage_day_outbox'),
      credentialId,
      day,
      d.leases ?? 0,
      d.units ?? 0,
      d.rateLimited ?? 0,
      d.authFailed ?? 0,
      d.quotaExhausted ?? 0,
      d.other ?? 0,
    );
  }

  /** A lease was granted: one lease, and the one unit acquire counts until the release reports its own. */
  leased(credentialId: number, at: number): void {
    this.#add(credentialId, utcDay(at), { leases: 1, units: 1 });
  }

  /** Reported units replace the one counted at acquire, in the lease's day (`d:YYYY-MM-DD`, as the quota counts it). */
  unitsCorrected(credentialId: number, dayPeriod: string, correction: number): void {
    if (correction !== 0) this.#add(credentialId, dayPeriod.replace(/^d:/, ''), { units: correction });
  }

  /** An error report, counted on the day it was reported. */
  errorReported(credentialId: number, kind: ErrorKind, at: number): void {
    this.#add(credentialId, utcDay(at), { [ERROR_COLUMN[kind]]: 1 });
  }

  /** Moves the outbox in flight and answers the D1 statements for it (and the daily prune). */
  take(db: D1Database, now: number): UsageDayFlush {
    this.#sql.exec(MERGE('usage_day_outbox', 'usage_day_inflight'));
    this.#sql.exec('DELETE FROM usage_day_outbox');
    const rows = this.#sql
      .exec(`SELECT ${COLUMNS} FROM usage_day_inflight`)
      .toArray()
      .map(
        (r): UsageDayIncrement => ({
          credentialId: r.credential_id as number,
          day: r.day as string,
          leases: r.leases as number,
          units: r.units as number,
          rateLimited: r.rate_limited as number,
          authFailed: r.auth_failed as number,
          quotaExhausted: r.quota_exhausted as number,
          other: r.other as number,
        }),
      );
    const statements: D1PreparedStatement[] = [];
    if (rows.length) statements.push(addUsageDaysStatement(db, rows));
    const today = utcDay(now);
    const prune = rows.length > 0 && this.#prunedOn !== today;
    if (prune) statements.push(pruneUsageDaysStatement(db, utcDayBefore(now, USAGE_RETENTION_DAYS - 1)));
    return {
      statements,
      done: () => {
        this.#sql.exec('DELETE FROM usage_day_inflight');
        if (prune) this.#prunedOn = today;
      },
      failed: () => {
        this.#sql.exec(MERGE('usage_day_inflight', 'usage_day_outbox'));
        this.#sql.exec('DELETE FROM usage_day_inflight');
      },
    };
  }
}
