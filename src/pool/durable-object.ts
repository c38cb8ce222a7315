/**
 * CredentialPool Durable Object (issue 5): the one object (named
 * POOL_OBJECT_NAME) that serialises leases, cooldowns, quota counters and the
 * collection lock. State lives in the object's SQLite storage (pool-store.ts,
 * synchronous); the decisions live in lease-rules.ts.
 *
 * Concurrency: a D1 query from inside the object lets other requests
 * interleave. So acquire reads candidate rows from D1, then — with no await in
 * between — re-checks the lock, chooses and *reserves* the lease in storage;
 * only then does it await D1 again for the ciphertext. Two acquires can never
 * both see a credential as free, and a lock taken during the first D1 read
 * wins over the acquire.
 *
 * Acquire is the only place a plaintext credential leaves the vault.
 * Expected failures are thrown as VaultErrors; their properties cross RPC
 * (see revivePoolError in lock-api.ts).
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';
import { VaultError } from '../errors.ts';
import { loadConfig } from '../config.ts';
import { base64urlEncode } from '../crypto/encoding.ts';
import { openCredential } from '../credentials/sealing.ts';
import type { LockStatus, PoolLockApi } from './lock-api.ts';
import { PoolStore, type LeaseRecord } from './pool-store.ts';
import {
  AUTH_FAILURES_BEFORE_DEACTIVATION, DEFAULT_MAX_LEASES, FRESH_STATE, applyErrorReport, applyErrorReset, applyLeased, applySuccessfulRelease,
  chooseCredential, leaseExpiry, quotaPeriods, unitsCorrection, type CredentialPoolState, type NoCredentialDetails,
  type PoolCandidate,
} from './lease-rules.ts';
import type { AcquireRequest, ReleaseRequest, RenewRequest, ReportErrorRequest } from './requests.ts';
import type { ErrorReportResult, Lease, LeaseEnd, LeaseRenewal } from './types.ts';

/** Pool facts about one credential, for health. */
export interface CredentialPoolView {
  credential_id: number;
  cooldown_until: number | null;
  leases: number;
  used_today: number;
  used_this_month: number;
  consecutive_auth_failures: number;
}

export interface PoolSnapshot {
  lock: LockStatus;
  /** Credentials the pool has any state for; absent ones are fresh (no cooldown, lease or use). */
  credentials: CredentialPoolView[];
  day: string;
  month: string;
}

const GONE = Symbol('gone');

/** Seconds a refused collector should wait while a rotation holds the lock. */
export const LOCKED_RETRY_AFTER_SECONDS = 30;
/** Expired leases are kept this long so a late release or error report still counts. */
const EXPIRED_LEASE_RETENTION_MS = 60 * 60_000;

interface CandidateRow {
  id: number;
  is_active: number;
  key_id: string;
  daily_quota: number | null;
  monthly_quota: number | null;
  last_used_at: number | null;
  max_leases: number | null;
}

export class CredentialPool extends DurableObject<Env> implements PoolLockApi {
  readonly #store: PoolStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#store = new PoolStore(ctx.storage.sql);
  }

  // --- the collection lock (lock-api.ts) --------------------------------------

  #lockStatus(now: number): LockStatus {
    const lock = this.#store.getLock();
    const out = this.#store.outstanding(now);
    return {
      locked: lock !== null,
      holder: lock?.holder ?? null,
      since: lock?.since ?? null,
      outstandingLeases: out.count,
      latestLeaseExpiry: out.latestExpiry,
    };
  }

  async lock(holder: string): Promise<LockStatus> {
    const now = Date.now();
    const lock = this.#store.getLock();
    if (lock && lock.holder !== holder) {
      throw new VaultError('CONFLICT', 'Collection is already locked by another holder.', { details: { holder: lock.holder } });
    }
    if (!lock) this.#store.setLock(holder, now);
    return this.#lockStatus(now);
  }

  async unlock(holder: string): Promise<LockStatus> {
    if (this.#store.getLock()?.holder === holder) this.#store.clearLock();
    return this.#lockStatus(Date.now());
  }

  async lockStatus(): Promise<LockStatus> {
    return this.#lockStatus(Date.now());
  }

  #refuseIfLocked(): void {
    const lock = this.#store.getLock();
    if (!lock) return;
    throw new VaultError('ROTATION_IN_PROGRESS', 'Collection is paused while the credential key is rotated. Retry shortly.', {
      status: 423,
      retryAfter: LOCKED_RETRY_AFTER_SECONDS,
      details: { locked_since: new Date(lock.since).toISOString() },
    });
  }

  // --- leases -------------------------------------------------------------------

  async acquire(req: AcquireRequest, holder: string): Promise<Lease> {
    this.#refuseIfLocked();
    const ring = (await loadConfig(this.env)).credentialKeys;
    let { results: rows } = await this.env.DB.prepare(
      `SELECT id, is_active, key_id, daily_quota, monthly_quota, last_used_at, max_leases
       FROM api_credentials WHERE platform = ? AND tier = ?`,
    ).bind(req.platform, req.tier).all<CandidateRow>();
    const unreadable = new Set<number>();

    for (;;) {
      // From here to insertLease: no await, so the choice and the reservation are one step.
      const now = Date.now();
      this.#refuseIfLocked();
      this.#store.sweepExpired(now - EXPIRED_LEASE_RETENTION_MS);
      this.#dropFinishedPeriods(now);
      const candidates = this.#candidates(rows, (keyId) => ring.statusOf(keyId) !== 'missing', unreadable, now);
      const choice = chooseCredential(candidates, now);
      if (!choice.ok) throw noCredential(req, choice.details, now);
      const periods = quotaPeriods(now);
      const lease: LeaseRecord = {
        leaseId: `lease_${base64urlEncode(crypto.getRandomValues(new Uint8Array(16))).replace(/=+$/, '')}`,
        credentialId: choice.id,
        platform: req.platform,
        tier: req.tier,
        taskId: req.task_id,
        holder,
        acquiredAt: now,
        expiresAt: leaseExpiry(now, req.ttl_seconds),
        dayPeriod: periods.day,
        monthPeriod: periods.month,
      };
      const state = this.#store.states([choice.id]).get(choice.id) ?? FRESH_STATE;
      this.#store.insertLease(lease);
      this.#store.saveState(choice.id, applyLeased(state, now));
      this.#store.addUsage(choice.id, periods.day, 1);
      this.#store.addUsage(choice.id, periods.month, 1);

      const fields = await this.#openCredential(choice.id, now, ring);
      if (fields && fields !== GONE) {
        return {
          lease_id: lease.leaseId,
          credential_id: choice.id,
          platform: req.platform,
          tier: req.tier,
          fields,
          expires_at: new Date(lease.expiresAt).toISOString(),
        };
      }
      // Undecryptable, or deleted/deactivated since the first read: give the reservation back, try another.
      this.#store.deleteLease(lease.leaseId);
      this.#store.addUsage(choice.id, periods.day, -1);
      this.#store.addUsage(choice.id, periods.month, -1);
      if (fields === GONE) rows = rows.filter((r) => r.id !== choice.id);
      else unreadable.add(choice.id);
    }
  }

  /** Reads and decrypts one row after it was reserved: its fields, GONE (deleted or deactivated meanwhile) or null (unreadable). */
  async #openCredential(
    id: number,
    now: number,
    ring: Awaited<ReturnType<typeof loadConfig>>['credentialKeys'],
  ): Promise<Record<string, string> | typeof GONE | null> {
    const [, read] = await this.env.DB.batch([
      this.env.DB.prepare('UPDATE api_credentials SET last_used_at = ? WHERE id = ?').bind(now, id),
      this.env.DB.prepare('SELECT encrypted_value, key_id, is_active FROM api_credentials WHERE id = ?').bind(id),
    ]);
    const row = (read!.results as { encrypted_value: string; key_id: string; is_active: number }[])[0];
    if (!row || !row.is_active) return GONE;
    const opened = await openCredential(ring, row.encrypted_value, row.key_id);
    if (!opened.readable) {
      console.log(JSON.stringify({ level: 'warn', code: 'UNDECRYPTABLE', credential_id: id, reason: opened.reason }));
      return null;
    }
    return opened.payload as Record<string, string>;
  }

  #candidates(rows: CandidateRow[], keyAvailable: (keyId: string) => boolean, unreadable: Set<number>, now: number): PoolCandidate[] {
    const ids = rows.map((r) => r.id);
    const states = this.#store.states(ids);
    const leases = this.#store.leaseCounts(ids, now);
    const periods = quotaPeriods(now);
    const usage = this.#store.usage(ids, [periods.day, periods.month]);
    return rows.map((r) => ({
      id: r.id,
      isActive: Boolean(r.is_active),
      keyAvailable: keyAvailable(r.key_id),
      undecryptable: unreadable.has(r.id),
      maxLeases: r.max_leases ?? DEFAULT_MAX_LEASES,
      dailyQuota: r.daily_quota,
      monthlyQuota: r.monthly_quota,
      lastUsedAt: r.last_used_at,
      state: states.get(r.id) ?? FRESH_STATE,
      activeLeases: leases.get(r.id)?.count ?? 0,
      earliestLeaseExpiry: leases.get(r.id)?.earliestExpiry ?? null,
      usedToday: usage.get(r.id)?.get(periods.day) ?? 0,
      usedThisMonth: usage.get(r.id)?.get(periods.month) ?? 0,
    }));
  }

  async renew(req: RenewRequest, holder: string): Promise<LeaseRenewal> {
    const now = Date.now();
    this.#refuseIfLocked();
    const lease = this.#store.liveLease(req.lease_id, now);
    if (!lease || lease.holder !== holder) throw leaseExpired();
    const expiresAt = leaseExpiry(now, req.ttl_seconds);
    this.#store.setLeaseExpiry(lease.leaseId, expiresAt);
    return { lease_id: lease.leaseId, credential_id: lease.credentialId, expires_at: new Date(expiresAt).toISOString() };
  }

  /** Ends a lease that worked: reported units replace the one counted at acquire; error streaks end. */
  async release(req: ReleaseRequest, holder: string): Promise<LeaseEnd> {
    const now = Date.now();
    const lease = this.#endLease(req.lease_id, holder, req.units_used);
    const state = this.#state(lease.credentialId);
    this.#store.saveState(lease.credentialId, applySuccessfulRelease(state));
    return { lease_id: lease.leaseId, credential_id: lease.credentialId, expired: lease.expiresAt <= now };
  }

  /** Ends a lease that failed: cooldown, and on the third auth failure in a row, deactivation (D1 + audit). */
  async reportError(req: ReportErrorRequest, holder: string): Promise<ErrorReportResult> {
    const now = Date.now();
    const lease = this.#endLease(req.lease_id, holder, req.units_used);
    const outcome = applyErrorReport(this.#state(lease.credentialId), req.kind, req.retry_after ?? null, now);
    this.#store.saveState(lease.credentialId, outcome.state);
    const db = this.env.DB;
    const writes = [
      db.prepare('UPDATE api_credentials SET last_error_at = ?, error_count = error_count + 1 WHERE id = ?').bind(now, lease.credentialId),
    ];
    if (outcome.deactivate) {
      writes.push(
        db.prepare('UPDATE api_credentials SET is_active = 0, updated_at = ? WHERE id = ?').bind(now, lease.credentialId),
        db.prepare('INSERT INTO audit_events (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)').bind(
          now, 'pool', 'credential.deactivate', `credential:${lease.credentialId}`,
          JSON.stringify({ reason: 'auth_failed', consecutive_auth_failures: AUTH_FAILURES_BEFORE_DEACTIVATION, reported_by: holder }),
        ),
      );
    }
    await db.batch(writes);
    return {
      lease_id: lease.leaseId,
      credential_id: lease.credentialId,
      expired: lease.expiresAt <= now,
      cooldown_until: new Date(outcome.state.cooldownUntil!).toISOString(),
      deactivated: outcome.deactivate,
    };
  }

  #countersKeptFor = '';

  /** Quota counters of past days and months are dead weight: drop them once per day. */
  #dropFinishedPeriods(now: number): void {
    const p = quotaPeriods(now);
    if (this.#countersKeptFor === p.day) return;
    this.#store.dropOtherPeriods([p.day, p.month]);
    this.#countersKeptFor = p.day;
  }

  #state(credentialId: number): CredentialPoolState {
    return this.#store.states([credentialId]).get(credentialId) ?? FRESH_STATE;
  }

  #endLease(leaseId: string, holder: string, unitsUsed: number | undefined): LeaseRecord {
    const lease = this.#store.findLease(leaseId);
    if (!lease || lease.holder !== holder) throw leaseExpired();
    this.#store.deleteLease(leaseId);
    const correction = unitsCorrection(unitsUsed);
    if (correction !== 0) {
      this.#store.addUsage(lease.credentialId, lease.dayPeriod, correction);
      this.#store.addUsage(lease.credentialId, lease.monthPeriod, correction);
    }
    return lease;
  }

  // --- for the credential store and health ---------------------------------------

  /** reset-errors: clears the cooldown and error streaks of one credential (leases and quota use stay). */
  async resetErrors(credentialId: number): Promise<void> {
    this.#store.saveState(credentialId, applyErrorReset(this.#state(credentialId)));
  }

  /** Everything health needs from the pool, in one call. */
  async snapshot(): Promise<PoolSnapshot> {
    const now = Date.now();
    const periods = quotaPeriods(now);
    const states = this.#store.states(null);
    const leases = this.#store.leaseCounts(null, now);
    const usage = this.#store.usage(null, [periods.day, periods.month]);
    const ids = new Set<number>([...states.keys(), ...leases.keys(), ...usage.keys()]);
    const credentials: CredentialPoolView[] = [...ids].sort((a, b) => a - b).map((id) => {
      const s = states.get(id) ?? FRESH_STATE;
      return {
        credential_id: id,
        cooldown_until: s.cooldownUntil !== null && s.cooldownUntil > now ? s.cooldownUntil : null,
        leases: leases.get(id)?.count ?? 0,
        used_today: usage.get(id)?.get(periods.day) ?? 0,
        used_this_month: usage.get(id)?.get(periods.month) ?? 0,
        consecutive_auth_failures: s.consecutiveAuthFailures,
      };
    });
    return { lock: this.#lockStatus(now), credentials, day: periods.day, month: periods.month };
  }
}

function leaseExpired(): VaultError {
  return new VaultError('LEASE_EXPIRED', 'This lease has ended or was never issued to you. Acquire a new one.');
}

const REASON_TEXT: Record<NoCredentialDetails['reason'], string> = {
  none_configured: 'no active credential is configured',
  all_cooling_down: 'every usable credential is cooling down after errors',
  quota_exhausted: 'every usable credential has used up its quota',
  all_leased: 'every usable credential is leased to another task',
  key_missing: "the credentials are encrypted under a key that is not in the vault's key ring",
  undecryptable: 'the credentials do not decrypt under their key',
};

function noCredential(req: AcquireRequest, d: NoCredentialDetails, now: number): VaultError {
  return new VaultError('NO_CREDENTIAL_AVAILABLE', `No ${req.platform} ${req.tier} credential is available: ${REASON_TEXT[d.reason]}.`, {
    details: { ...d, retry_at: d.retry_at === null ? null : new Date(d.retry_at).toISOString() },
    retryAfter: d.retry_at === null ? undefined : Math.max(1, Math.ceil((d.retry_at - now) / 1000)),
  });
}
