/**
 * The CredentialPool's own storage: SQLite inside the Durable Object
 * (`ctx.storage.sql`), synchronous, so a read-check-write with no `await` in
 * between is atomic even while other requests wait on D1. Thin on purpose:
 * the decisions live in lease-rules.ts.
 *
 * Tables (all times unix ms):
 *   pool_lock(holder, since)                     at most one row: the collection lock
 *   leases(lease_id, credential_id, ...)         outstanding leases; expired ones are swept lazily
 *   credential_state(credential_id, ...)         last lease time, cooldown, consecutive error counts
 *   usage(credential_id, period, units)          quota counters; period is `d:YYYY-MM-DD` or `m:YYYY-MM`
 */
import type { CredentialPoolState } from './lease-rules.ts';

export interface LeaseRecord {
  leaseId: string;
  credentialId: number;
  platform: string;
  tier: string;
  taskId: string;
  holder: string;
  acquiredAt: number;
  expiresAt: number;
  /** The quota periods the lease was counted in, so reported units land in the same ones. */
  dayPeriod: string;
  monthPeriod: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS pool_lock (id INTEGER PRIMARY KEY CHECK (id = 1), holder TEXT NOT NULL, since INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS leases (
  lease_id TEXT PRIMARY KEY, credential_id INTEGER NOT NULL, platform TEXT NOT NULL, tier TEXT NOT NULL,
  task_id TEXT NOT NULL, holder TEXT NOT NULL, acquired_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  day_period TEXT NOT NULL, month_period TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS leases_credential ON leases (credential_id, expires_at);
CREATE INDEX IF NOT EXISTS leases_expiry ON leases (expires_at);
CREATE TABLE IF NOT EXISTS credential_state (
  credential_id INTEGER PRIMARY KEY, last_leased_at INTEGER, cooldown_until INTEGER,
  consecutive_errors INTEGER NOT NULL DEFAULT 0, consecutive_auth_failures INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS usage (credential_id INTEGER NOT NULL, period TEXT NOT NULL, units INTEGER NOT NULL, PRIMARY KEY (credential_id, period));
`;

type Row = Record<string, SqlStorageValue>;

function toLease(r: Row): LeaseRecord {
  return {
    leaseId: r.lease_id as string,
    credentialId: r.credential_id as number,
    platform: r.platform as string,
    tier: r.tier as string,
    taskId: r.task_id as string,
    holder: r.holder as string,
    acquiredAt: r.acquired_at as number,
    expiresAt: r.expires_at as number,
    dayPeriod: r.day_period as string,
    monthPeriod: r.month_period as string,
  };
}

export class PoolStore {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(SCHEMA);
  }

  // --- the collection lock -------------------------------------------------

  getLock(): { holder: string; since: number } | null {
    const row = this.#sql.exec('SELECT holder, since FROM pool_lock WHERE id = 1').toArray()[0];
    return row ? { holder: row.holder as string, since: row.since as number } : null;
  }

  setLock(holder: string, since: number): void {
    this.#sql.exec('INSERT OR REPLACE INTO pool_lock (id, holder, since) VALUES (1, ?, ?)', holder, since);
  }

  clearLock(): void {
    this.#sql.exec('DELETE FROM pool_lock');
  }

  // --- leases ----------------------------------------------------------------

  /**
   * Deletes leases that ran out before `cutoff`. (A lease past its TTL already
   * counts as released everywhere; keeping it a while lets a late release or
   * error report still be attributed to its credential.)
   */
  sweepExpired(cutoff: number): void {
    this.#sql.exec('DELETE FROM leases WHERE expires_at <= ?', cutoff);
  }

  outstanding(now: number): { count: number; latestExpiry: number | null } {
    const row = this.#sql.exec('SELECT COUNT(*) AS n, MAX(expires_at) AS latest FROM leases WHERE expires_at > ?', now).one();
    return { count: row.n as number, latestExpiry: (row.latest as number | null) ?? null };
  }

  insertLease(l: LeaseRecord): void {
    this.#sql.exec(
      `INSERT INTO leases (lease_id, credential_id, platform, tier, task_id, holder, acquired_at, expires_at, day_period, month_period)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      l.leaseId, l.credentialId, l.platform, l.tier, l.taskId, l.holder, l.acquiredAt, l.expiresAt, l.dayPeriod, l.monthPeriod,
    );
  }

  /** A lease still inside its TTL, or null. */
  liveLease(leaseId: string, now: number): LeaseRecord | null {
    const row = this.#sql.exec('SELECT * FROM leases WHERE lease_id = ? AND expires_at > ?', leaseId, now).toArray()[0];
    return row ? toLease(row) : null;
  }

  /** A lease whether or not its TTL has passed (until the sweep drops it), or null. */
  findLease(leaseId: string): LeaseRecord | null {
    const row = this.#sql.exec('SELECT * FROM leases WHERE lease_id = ?', leaseId).toArray()[0];
    return row ? toLease(row) : null;
  }

  setLeaseExpiry(leaseId: string, expiresAt: number): void {
    this.#sql.exec('UPDATE leases SET expires_at = ? WHERE lease_id = ?', expiresAt, leaseId);
  }

  deleteLease(leaseId: string): void {
    this.#sql.exec('DELETE FROM leases WHERE lease_id = ?', leaseId);
  }

  /** Live lease counts (and the earliest expiry) per credential, for the given ids (all when null). */
  leaseCounts(ids: number[] | null, now: number): Map<number, { count: number; earliestExpiry: number }> {
    const select = 'SELECT credential_id, COUNT(*) AS n, MIN(expires_at) AS earliest FROM leases WHERE expires_at > ?';
    const rows = ids
      ? this.#sql.exec(`${select} AND credential_id IN (SELECT value FROM json_each(?)) GROUP BY credential_id`, now, JSON.stringify(ids))
      : this.#sql.exec(`${select} GROUP BY credential_id`, now);
    const out = new Map<number, { count: number; earliestExpiry: number }>();
    for (const r of rows) out.set(r.credential_id as number, { count: r.n as number, earliestExpiry: r.earliest as number });
    return out;
  }

  // --- per-credential state -------------------------------------------------

  states(ids: number[] | null): Map<number, CredentialPoolState> {
    const rows = ids
      ? this.#sql.exec('SELECT * FROM credential_state WHERE credential_id IN (SELECT value FROM json_each(?))', JSON.stringify(ids))
      : this.#sql.exec('SELECT * FROM credential_state');
    const out = new Map<number, CredentialPoolState>();
    for (const r of rows) {
      out.set(r.credential_id as number, {
        lastLeasedAt: (r.last_leased_at as number | null) ?? null,
        cooldownUntil: (r.cooldown_until as number | null) ?? null,
        consecutiveErrors: r.consecutive_errors as number,
        consecutiveAuthFailures: r.consecutive_auth_failures as number,
      });
    }
    return out;
  }

  saveState(credentialId: number, s: CredentialPoolState): void {
    this.#sql.exec(
      `INSERT OR REPLACE INTO credential_state (credential_id, last_leased_at, cooldown_until, consecutive_errors, consecutive_auth_failures)
       VALUES (?, ?, ?, ?, ?)`,
      credentialId, s.lastLeasedAt, s.cooldownUntil, s.consecutiveErrors, s.consecutiveAuthFailures,
    );
  }

  // --- quota usage ------------------------------------------------------------

  usage(ids: number[] | null, periods: string[]): Map<number, Map<string, number>> {
    const rows = ids
      ? this.#sql.exec(
          'SELECT * FROM usage WHERE period IN (SELECT value FROM json_each(?)) AND credential_id IN (SELECT value FROM json_each(?))',
          JSON.stringify(periods), JSON.stringify(ids),
        )
      : this.#sql.exec('SELECT * FROM usage WHERE period IN (SELECT value FROM json_each(?))', JSON.stringify(periods));
    const out = new Map<number, Map<string, number>>();
    for (const r of rows) {
      const id = r.credential_id as number;
      if (!out.has(id)) out.set(id, new Map());
      out.get(id)!.set(r.period as string, r.units as number);
    }
    return out;
  }

  addUsage(credentialId: number, period: string, units: number): void {
    this.#sql.exec(
      `INSERT INTO usage (credential_id, period, units) VALUES (?, ?, MAX(0, ?))
       ON CONFLICT (credential_id, period) DO UPDATE SET units = MAX(0, units + ?)`,
      credentialId, period, units, units,
    );
  }

  /** Drops counters of periods that are over (anything not in `keep`). */
  dropOtherPeriods(keep: string[]): void {
    this.#sql.exec('DELETE FROM usage WHERE period NOT IN (SELECT value FROM json_each(?))', JSON.stringify(keep));
  }
}
