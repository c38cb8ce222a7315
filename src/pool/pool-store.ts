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
 *
 * The lock, the leases, the per-credential state and the counters of the periods in use
 * are also kept in memory, read from SQLite once per instance: every write
 * goes through this class, which writes SQLite and memory together (the
 * object is the only writer), so the hot path reads no statement for them.
 * Leases too, indexed by id and by credential in memory; SQLite keeps only
 * the expiry index the sweep uses (the per-credential one is dropped: no
 * statement reads by credential, and each lease write would pay for it).
 * The tables are created by pool/object-schema.ts (versioned).
 */
import type { CredentialPoolState, LeaseMode } from './lease-rules.ts';

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
  /** The mode granted (issue 21); absent, and in leases stored before it: exclusive. */
  mode?: LeaseMode;
}

/** Live leases of one credential: all of them, the exclusive ones, and when the earliest of each ends. */
export interface LeaseCount {
  count: number;
  earliestExpiry: number;
  exclusive: number;
  /** Null when it has no exclusive lease. */
  earliestExclusiveExpiry: number | null;
}

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
    mode: (r.mode as LeaseMode | undefined) ?? 'exclusive',
  };
}

export class PoolStore {
  readonly #sql: SqlStorage;
  /** undefined: not read yet. */
  #lock: { holder: string; since: number } | null | undefined;
  #states: Map<number, CredentialPoolState> | null = null;
  #leaseIndex: { byId: Map<string, LeaseRecord>; byCredential: Map<number, Map<string, LeaseRecord>> } | null = null;
  /** period → credential id → units, for the periods read so far. */
  readonly #usage = new Map<string, Map<number, number>>();

  /** `sql`: the object's storage, already migrated (object-schema.ts holds the tables' DDL). */
  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  // --- the collection lock -------------------------------------------------

  getLock(): { holder: string; since: number } | null {
    if (this.#lock === undefined) {
      const row = this.#sql.exec('SELECT holder, since FROM pool_lock WHERE id = 1').toArray()[0];
      this.#lock = row ? { holder: row.holder as string, since: row.since as number } : null;
    }
    return this.#lock;
  }

  setLock(holder: string, since: number): void {
    this.#sql.exec('INSERT OR REPLACE INTO pool_lock (id, holder, since) VALUES (1, ?, ?)', holder, since);
    this.#lock = { holder, since };
  }

  clearLock(): void {
    this.#sql.exec('DELETE FROM pool_lock');
    this.#lock = null;
  }

  // --- leases ----------------------------------------------------------------

  /** Every lease SQLite holds (live, and expired until swept), by id and by credential; read once. */
  #leases(): { byId: Map<string, LeaseRecord>; byCredential: Map<number, Map<string, LeaseRecord>> } {
    if (this.#leaseIndex) return this.#leaseIndex;
    const index = { byId: new Map<string, LeaseRecord>(), byCredential: new Map<number, Map<string, LeaseRecord>>() };
    this.#leaseIndex = index;
    for (const row of this.#sql.exec('SELECT * FROM leases')) this.#remember(toLease(row));
    return index;
  }

  #remember(l: LeaseRecord): void {
    const { byId, byCredential } = this.#leases();
    byId.set(l.leaseId, l);
    let mine = byCredential.get(l.credentialId);
    if (!mine) {
      mine = new Map();
      byCredential.set(l.credentialId, mine);
    }
    mine.set(l.leaseId, l);
  }

  #forget(l: LeaseRecord): void {
    const { byId, byCredential } = this.#leases();
    byId.delete(l.leaseId);
    const mine = byCredential.get(l.credentialId);
    mine?.delete(l.leaseId);
    if (mine?.size === 0) byCredential.delete(l.credentialId);
  }

  /**
   * Deletes leases that ran out before `cutoff`. (A lease past its TTL already
   * counts as released everywhere; keeping it a while lets a late release or
   * error report still be attributed to its credential.)
   */
  sweepExpired(cutoff: number): void {
    this.#sql.exec('DELETE FROM leases WHERE expires_at <= ?', cutoff);
    for (const l of [...this.#leases().byId.values()]) if (l.expiresAt <= cutoff) this.#forget(l);
  }

  outstanding(now: number): { count: number; latestExpiry: number | null } {
    let count = 0;
    let latestExpiry: number | null = null;
    for (const l of this.#leases().byId.values()) {
      if (l.expiresAt <= now) continue;
      count++;
      latestExpiry = Math.max(latestExpiry ?? l.expiresAt, l.expiresAt);
    }
    return { count, latestExpiry };
  }

  insertLease(l: LeaseRecord): void {
    this.#sql.exec(
      `INSERT INTO leases (lease_id, credential_id, platform, tier, task_id, holder, acquired_at, expires_at, day_period, month_period, mode)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      l.leaseId,
      l.credentialId,
      l.platform,
      l.tier,
      l.taskId,
      l.holder,
      l.acquiredAt,
      l.expiresAt,
      l.dayPeriod,
      l.monthPeriod,
      l.mode ?? 'exclusive',
    );
    this.#remember({ ...l });
  }

  /** A lease still inside its TTL, or null. */
  liveLease(leaseId: string, now: number): LeaseRecord | null {
    const l = this.#leases().byId.get(leaseId);
    return l && l.expiresAt > now ? l : null;
  }

  setLeaseExpiry(leaseId: string, expiresAt: number): void {
    const l = this.#leases().byId.get(leaseId);
    this.#sql.exec('UPDATE leases SET expires_at = ? WHERE lease_id = ?', expiresAt, leaseId);
    if (l) this.#remember({ ...l, expiresAt });
  }

  deleteLease(leaseId: string): void {
    const l = this.#leases().byId.get(leaseId);
    this.#sql.exec('DELETE FROM leases WHERE lease_id = ?', leaseId);
    if (l) this.#forget(l);
  }

  /** The lease if `holder` holds it (whether or not its TTL has passed); null when there is none. */
  heldLease(leaseId: string, holder: string): LeaseRecord | null {
    const l = this.#leases().byId.get(leaseId);
    return l && l.holder === holder ? l : null;
  }

  /** Deletes the lease if `holder` holds it (whether or not its TTL has passed) and answers it; null when there is none. */
  takeLease(leaseId: string, holder: string): LeaseRecord | null {
    const l = this.heldLease(leaseId, holder);
    if (l) this.deleteLease(leaseId);
    return l;
  }

  /** Live lease counts (both modes, and exclusive ones) and the earliest expiries per credential, for the given ids (all when null). */
  leaseCounts(ids: readonly number[] | null, now: number): Map<number, LeaseCount> {
    const { byCredential } = this.#leases();
    const out = new Map<number, LeaseCount>();
    for (const id of ids ?? byCredential.keys()) {
      for (const l of byCredential.get(id)?.values() ?? []) {
        if (l.expiresAt <= now) continue;
        let seen = out.get(id);
        if (!seen) {
          seen = { count: 0, earliestExpiry: l.expiresAt, exclusive: 0, earliestExclusiveExpiry: null };
          out.set(id, seen);
        }
        seen.count++;
        seen.earliestExpiry = Math.min(seen.earliestExpiry, l.expiresAt);
        if (l.mode !== 'shared') {
          seen.exclusive++;
          seen.earliestExclusiveExpiry = Math.min(seen.earliestExclusiveExpiry ?? l.expiresAt, l.expiresAt);
        }
      }
    }
    return out;
  }

  /**
   * Until when `holder` held a lease on the credential, among the leases kept
   * here (live ones, and expired ones until swept): the latest expiry, or null.
   * Released leases are gone from here; the caller remembers those (HolderStore).
   */
  heldUntil(credentialId: number, holder: string): number | null {
    let until: number | null = null;
    for (const l of this.#leases().byCredential.get(credentialId)?.values() ?? []) {
      if (l.holder === holder) until = Math.max(until ?? l.expiresAt, l.expiresAt);
    }
    return until;
  }

  // --- per-credential state -------------------------------------------------

  /** The state of the given credentials (all when null); absent ones are fresh. */
  states(ids: readonly number[] | null): Map<number, CredentialPoolState> {
    const all = this.#allStates();
    if (!ids) return new Map(all);
    const out = new Map<number, CredentialPoolState>();
    for (const id of ids) {
      const s = all.get(id);
      if (s) out.set(id, s);
    }
    return out;
  }

  #allStates(): Map<number, CredentialPoolState> {
    if (this.#states) return this.#states;
    const out = new Map<number, CredentialPoolState>();
    for (const r of this.#sql.exec('SELECT * FROM credential_state')) {
      out.set(r.credential_id as number, {
        lastLeasedAt: (r.last_leased_at as number | null) ?? null,
        cooldownUntil: (r.cooldown_until as number | null) ?? null,
        consecutiveErrors: r.consecutive_errors as number,
        consecutiveAuthFailures: r.consecutive_auth_failures as number,
      });
    }
    this.#states = out;
    return out;
  }

  /** Writes the state if it differs from the one held (an unchanged state costs no write). */
  saveState(credentialId: number, s: CredentialPoolState): void {
    const held = this.#allStates().get(credentialId);
    if (
      held &&
      held.lastLeasedAt === s.lastLeasedAt &&
      held.cooldownUntil === s.cooldownUntil &&
      held.consecutiveErrors === s.consecutiveErrors &&
      held.consecutiveAuthFailures === s.consecutiveAuthFailures
    )
      return;
    this.#sql.exec(
      `INSERT OR REPLACE INTO credential_state (credential_id, last_leased_at, cooldown_until, consecutive_errors, consecutive_auth_failures)
       VALUES (?, ?, ?, ?, ?)`,
      credentialId,
      s.lastLeasedAt,
      s.cooldownUntil,
      s.consecutiveErrors,
      s.consecutiveAuthFailures,
    );
    this.#allStates().set(credentialId, { ...s });
  }

  // --- quota usage ------------------------------------------------------------

  /** Units counted per credential and period, for the given credentials (all when null) and periods. */
  usage(ids: readonly number[] | null, periods: string[]): Map<number, Map<string, number>> {
    const out = new Map<number, Map<string, number>>();
    for (const period of periods) {
      const counters = this.#period(period);
      for (const id of ids ?? counters.keys()) {
        const units = counters.get(id);
        if (units === undefined) continue;
        if (!out.has(id)) out.set(id, new Map());
        out.get(id)!.set(period, units);
      }
    }
    return out;
  }

  /** One period's counters, read from SQLite once. */
  #period(period: string): Map<number, number> {
    let counters = this.#usage.get(period);
    if (!counters) {
      counters = new Map();
      for (const r of this.#sql.exec('SELECT credential_id, units FROM usage WHERE period = ?', period)) {
        counters.set(r.credential_id as number, r.units as number);
      }
      this.#usage.set(period, counters);
    }
    return counters;
  }

  addUsage(credentialId: number, period: string, units: number): void {
    const row = this.#sql
      .exec(
        `INSERT INTO usage (credential_id, period, units) VALUES (?, ?, MAX(0, ?))
       ON CONFLICT (credential_id, period) DO UPDATE SET units = MAX(0, units + ?) RETURNING units`,
        credentialId,
        period,
        units,
        units,
      )
      .one();
    this.#usage.get(period)?.set(credentialId, row.units as number);
  }

  /** Drops counters of periods that are over (anything not in `keep`). */
  dropOtherPeriods(keep: string[]): void {
    this.#sql.exec('DELETE FROM usage WHERE period NOT IN (SELECT value FROM json_each(?))', JSON.stringify(keep));
    for (const period of [...this.#usage.keys()]) if (!keep.includes(period)) this.#usage.delete(period);
  }
}
