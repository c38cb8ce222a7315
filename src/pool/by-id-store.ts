/**
 * What the CredentialPool keeps for the operations by credential id (issue 21),
 * in the object's own SQLite storage, beside pool-store.ts (synchronous, the
 * object is the only writer):
 *
 *   cooldowns_by_id(credential_id, until, reason, set_by, set_at)
 *       a cooldown a collector set by id (POST /api/pool/credentials/:id/cooldown);
 *       it runs beside the error cooldown (lease-rules.ts effectiveCooldown)
 *   lease_ends(credential_id, holder, ended_at)
 *       when a holder last ended (released or reported) a lease on a credential,
 *       so "held a lease within the last hour" survives the lease's deletion
 *
 * Cooldowns are also kept in memory (read once per instance): acquire reads
 * them on its hot path without a statement. Times are unix ms.
 */

export interface CooldownById {
  until: number;
  reason: string;
  setBy: string;
  setAt: number;
}

export class ByIdStore {
  readonly #sql: SqlStorage;
  #cooldowns: Map<number, CooldownById> | null = null;

  /** `sql`: the object's storage, already migrated (object-schema.ts holds the tables' DDL). */
  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  #all(): Map<number, CooldownById> {
    if (this.#cooldowns) return this.#cooldowns;
    const out = new Map<number, CooldownById>();
    for (const r of this.#sql.exec('SELECT * FROM cooldowns_by_id')) {
      out.set(r.credential_id as number, { until: r.until as number, reason: r.reason as string, setBy: r.set_by as string, setAt: r.set_at as number });
    }
    this.#cooldowns = out;
    return out;
  }

  /** Until when the credential is cooled down by id, or null (a past one counts as none). */
  cooldownUntil(credentialId: number): number | null {
    return this.#all().get(credentialId)?.until ?? null;
  }

  /** Sets (replaces) the credential's cooldown by id. */
  setCooldown(credentialId: number, c: CooldownById): void {
    this.#sql.exec(
      'INSERT OR REPLACE INTO cooldowns_by_id (credential_id, until, reason, set_by, set_at) VALUES (?, ?, ?, ?, ?)',
      credentialId,
      c.until,
      c.reason,
      c.setBy,
      c.setAt,
    );
    this.#all().set(credentialId, { ...c });
  }

  clearCooldown(credentialId: number): void {
    if (!this.#all().has(credentialId)) return;
    this.#sql.exec('DELETE FROM cooldowns_by_id WHERE credential_id = ?', credentialId);
    this.#all().delete(credentialId);
  }

  /** A holder ended a lease on the credential at `at`. */
  leaseEnded(credentialId: number, holder: string, at: number): void {
    this.#sql.exec(
      `INSERT INTO lease_ends (credential_id, holder, ended_at) VALUES (?, ?, ?)
       ON CONFLICT (credential_id, holder) DO UPDATE SET ended_at = MAX(ended_at, excluded.ended_at)`,
      credentialId,
      holder,
      at,
    );
  }

  /** When `holder` last ended a lease on the credential, or null. */
  lastLeaseEnd(credentialId: number, holder: string): number | null {
    const row = this.#sql.exec('SELECT ended_at FROM lease_ends WHERE credential_id = ? AND holder = ?', credentialId, holder).toArray()[0];
    return row ? (row.ended_at as number) : null;
  }

  /** Drops lease ends and cooldowns that are over before `cutoff` (they decide nothing any more). */
  sweep(cutoff: number): void {
    this.#sql.exec('DELETE FROM lease_ends WHERE ended_at < ?', cutoff);
    this.#sql.exec('DELETE FROM cooldowns_by_id WHERE until < ?', cutoff);
    for (const [id, c] of this.#all()) if (c.until < cutoff) this.#all().delete(id);
  }
}
