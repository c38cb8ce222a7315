/**
 * CredentialPool Durable Object (issue 5): the one object (named
 * POOL_OBJECT_NAME) that serialises leases, cooldowns, quota counters and the
 * collection lock. State lives in the object's SQLite storage (pool-store.ts,
 * synchronous); the decisions live in lease-rules.ts.
 *
 * The hot path never waits on D1 (issue 14). The object keeps a working copy
 * of the credentials and the API keys (with their owners' role and state) in
 * its own storage (copy-store.ts); acquire, renew, release and report-error
 * read only that copy and answer usage into an outbox. D1 stays the source of
 * truth:
 * - every admin write request ends with `syncIfBehind()` before it answers
 *   (pool/follow-writes.ts), so an edited, deactivated or deleted credential,
 *   a revoked key or a demoted owner counts from the very next request;
 * - D1 counts every change the copy cares about in `pool_copy_version`
 *   (triggers, migration 0060); the copy is re-read in full, page by page,
 *   whenever its version differs: on those calls, on unlock after a rotation,
 *   on the alarm, and before refusing an unknown key or answering "no
 *   credential" (so a row written behind the app's back is found, too);
 * - the alarm writes the outbox back to D1 (last_used_at, error counts) at
 *   most every FLUSH_INTERVAL_MS while the pool is in use, in the same batch
 *   that reads the version.
 * `/api/pool/*` keys are authenticated here, against the copy, with the same
 * rule as everywhere else (auth/api-key-principal.ts, apiRefusal).
 *
 * Concurrency: a sync awaits D1, and acquire awaits the decryption, so other
 * requests interleave. Acquire chooses and *reserves* the lease with no await
 * in between; after decrypting, it checks the copy again and gives the
 * reservation back if the row was deleted, deactivated or replaced meanwhile.
 * Full syncs run one at a time, each starting after the request for it.
 *
 * Issue 21 adds lease modes (exclusive/shared: lease-rules.ts) and the
 * operations by credential id (metadata, cooldown by id, token expiry,
 * update-fields), whose steps live in pool/by-id.ts and their storage in
 * by-id-store.ts; this class only authenticates and delegates to them.
 *
 * Acquire is the only place a plaintext credential leaves the vault.
 * Expected failures are thrown as VaultErrors; their properties cross RPC
 * (see reviveVaultError in src/errors.ts).
 */
import { DEFAULT_SHARING } from '../credentials/sharing.ts';
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';
import { VaultError } from '../errors.ts';
import { loadConfig } from '../config.ts';
import { base64urlEncode } from '../crypto/encoding.ts';
import { openCredential } from '../credentials/sealing.ts';
import { deactivateCredentialStatement } from '../credentials/repository.ts';
import { auditD1Statement } from '../audit/audit.ts';
import { apiKeyPrefix } from '../auth/api-keys.ts';
import { apiKeyPrincipal } from '../auth/api-key-principal.ts';
import { apiRefusal } from '../kernel/principal.ts';
import type { LockStatus, PoolLockApi } from './lock-api.ts';
import { PoolStore, type LeaseRecord } from './pool-store.ts';
import { CopyStore, type CopiedCredential, type Outbox } from './copy-store.ts';
import { readVersion, syncCopy, writeUsage } from './d1-source.ts';
import {
  AUTH_FAILURES_BEFORE_DEACTIVATION, DEFAULT_MAX_LEASES, FRESH_STATE, RECENT_HOLDER_WINDOW_MS, applyErrorReport, applyErrorReset, applyLeased,
  applySuccessfulRelease, chooseCredential, effectiveCooldown, leaseExpiry, limitingLeases, quotaPeriods, unitsCorrection,
  type CredentialPoolState, type NoCredentialDetails, type PoolCandidate,
} from './lease-rules.ts';
import type {
  AcquireRequest, CooldownRequest, CredentialMetadataRequest, ExpiresAtRequest, ReleaseRequest, RenewRequest, ReportErrorRequest, UpdateFieldsRequest,
} from './requests.ts';
import type {
  CooldownResult, CredentialMetadata, CredentialMetadataList, ErrorReportResult, ExpiresAtResult, FieldsUpdated, Lease, LeaseEnd, LeaseRenewal,
} from './types.ts';
import { ByIdStore } from './by-id-store.ts';
import * as byId from './by-id.ts';

/** Pool facts about one credential, for health. */
export interface CredentialPoolView {
  credential_id: number;
  cooldown_until: number | null;
  /** Live leases of both modes. */
  leases: number;
  /** Live leases that count against max_leases (exclusive ones; all under sharing `never`). */
  limiting_leases: number;
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

/**
 * Who is calling the pool: a holder name the Worker vouches for (the RPC
 * entrypoint's `service_binding`, internal callers), or an `ApiKey` presented
 * on /api/pool/*, which the object authenticates against its copy.
 */
export type PoolCaller = string | { apiKey: string };

/** While the pool is in use, usage goes back to D1 (and the copy's version is checked) at most this often. */
export const FLUSH_INTERVAL_MS = 5_000;

/** Seconds a refused collector should wait while a rotation holds the lock. */
export const LOCKED_RETRY_AFTER_SECONDS = 30;
/** Expired leases are kept this long so a late release or error report still counts. */
const EXPIRED_LEASE_RETENTION_MS = 60 * 60_000;
/** Expired leases past their retention are swept at most this often (on acquire). */
const SWEEP_INTERVAL_MS = 60_000;


export class CredentialPool extends DurableObject<Env> implements PoolLockApi {
  readonly #store: PoolStore;
  readonly #copy: CopyStore;
  readonly #byId: ByIdStore;
  /** A full sync asked for but not started yet (every caller until it starts shares it). */
  #queuedSync: Promise<void> | null = null;
  /** The sync running or queued last: the next one starts after it. */
  #lastSync: Promise<unknown> = Promise.resolve();
  /** A version check in flight (concurrent callers share it). */
  #versionCheck: Promise<boolean> | null = null;
  /** An alarm this instance set is pending. */
  #alarmPending = false;
  /** The hot path ran since the last alarm. */
  #usedSinceAlarm = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#store = new PoolStore(ctx.storage.sql);
    this.#copy = new CopyStore(ctx.storage);
    this.#byId = new ByIdStore(ctx.storage.sql);
  }

  // --- the working copy -----------------------------------------------------------

  /** A full sync that starts after this call (queued behind one that is running). */
  #requestSync(): Promise<void> {
    if (this.#queuedSync) return this.#queuedSync;
    const run = this.#lastSync.then(() => {
      this.#queuedSync = null;
      return this.#fullSync();
    });
    this.#queuedSync = run;
    this.#lastSync = run.catch(() => undefined);
    return run;
  }

  async #fullSync(): Promise<void> {
    // If the process dies before the copy is replaced, this alarm finds the copy behind and syncs again.
    this.#scheduleAlarm(FLUSH_INTERVAL_MS);
    console.info(JSON.stringify({ level: 'info', event: 'pool.sync', phase: 'start', copy_version: this.#copy.version() }));
    const synced = await syncCopy(this.env.DB, this.#copy, Date.now());
    console.info(JSON.stringify({
      level: 'info', event: 'pool.sync', phase: 'done', copy_version: synced.version,
      credentials: synced.credentials, api_keys: synced.apiKeys,
    }));
  }

  /**
   * Reads D1's `pool_copy_version` and, if the copy was read at another one,
   * re-reads the copy in full before answering. True when it synced. Called by
   * every admin write request before it answers (pool/follow-writes.ts).
   */
  async syncIfBehind(): Promise<boolean> {
    this.#versionCheck ??= (async () => {
      try {
        const version = await readVersion(this.env.DB);
        if (version === this.#copy.version()) return false;
        await this.#requestSync();
        return true;
      } finally {
        this.#versionCheck = null;
      }
    })();
    return this.#versionCheck;
  }

  /** This instance compared its copy with D1 once (it may have slept through writes, or died mid-sync). */
  #checkedSinceStart = false;

  /**
   * Before serving: a copy that was never read (a new object, or one whose
   * storage was reset) is read in full; a fresh instance (after eviction, a
   * deploy or a crash, perhaps in the middle of a sync) checks its version
   * once. Both are one-off D1 reads per instance, never per request.
   */
  async #ready(): Promise<void> {
    if (this.#copy.version() === null) await this.#requestSync();
    else if (!this.#checkedSinceStart) await this.syncIfBehind();
    this.#checkedSinceStart = true;
  }

  /** The caller's lease-holder name; an API key is authenticated against the copy (401/403 as the guard would answer). */
  async #holder(caller: PoolCaller, now: number): Promise<string> {
    if (typeof caller === 'string') return caller;
    const prefix = apiKeyPrefix(caller.apiKey);
    let row = prefix ? this.#copy.apiKey(prefix) : null;
    // Unknown here: perhaps written to D1 behind the app's back. One version check, on this path only.
    if (prefix && !row && (await this.syncIfBehind())) row = this.#copy.apiKey(prefix);
    const principal = apiKeyPrincipal(caller.apiKey, row, row?.owner ?? null, now);
    const refusal = apiRefusal(principal, 'pool');
    if (refusal) throw refusal;
    this.#copy.apiKeyUsed(principal!.apiKeyId!, now);
    return principal!.actor;
  }

  /** Authenticates a caller without doing anything (the REST routes' refusal path: pool/routes.ts). */
  async authenticate(caller: PoolCaller): Promise<string> {
    await this.#ready();
    return this.#holder(caller, Date.now());
  }

  /** Every hot-path call: make sure an alarm will write the usage back and check the version. */
  #used(): void {
    this.#usedSinceAlarm = true;
    if (!this.#alarmPending) this.#scheduleAlarm(FLUSH_INTERVAL_MS);
  }

  #scheduleAlarm(inMs: number): void {
    if (this.#alarmPending) return;
    this.#alarmPending = true;
    void this.ctx.storage.setAlarm(Date.now() + inMs);
  }

  /** Writes the usage outbox to D1 and checks the copy's version, in one batch; re-arms while the pool is in use. */
  override async alarm(): Promise<void> {
    this.#alarmPending = false;
    const used = this.#usedSinceAlarm;
    this.#usedSinceAlarm = false;
    const out = this.#copy.takeOutbox();
    let version: number;
    try {
      version = await writeUsage(this.env.DB, out);
      this.#copy.flushed();
    } catch (e) {
      this.#copy.flushFailed();
      throw e; // alarms are retried
    }
    if (version !== this.#copy.version()) await this.#requestSync();
    if (used || this.#usedSinceAlarm) this.#scheduleAlarm(FLUSH_INTERVAL_MS);
  }

  /** Usage not yet written back to D1 (health, tests). */
  async pendingUsage(): Promise<Outbox> {
    return this.#copy.pendingUsage();
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

  /** Releases the lock, then re-reads the copy in full (a rotation re-encrypted the rows) before answering. */
  async unlock(holder: string): Promise<LockStatus> {
    const lock = this.#store.getLock();
    if (lock?.holder === holder) this.#store.clearLock();
    // Also on a replayed unlock (no lock left): the sync of the first one may have failed.
    if (!lock || lock.holder === holder) await this.#requestSync();
    return this.#lockStatus(Date.now());
  }

  async lockStatus(): Promise<LockStatus> {
    return this.#lockStatus(Date.now());
  }

  #refuseIfLocked(): void {
    const lock = this.#store.getLock();
    if (!lock) return;
    throw new VaultError('COLLECTION_LOCKED', 'Collection is paused while the credential key is rotated. Retry shortly.', {
      retryAfter: LOCKED_RETRY_AFTER_SECONDS,
      details: { locked_since: new Date(lock.since).toISOString() },
    });
  }

  // --- leases -------------------------------------------------------------------

  async acquire(req: AcquireRequest, caller: PoolCaller): Promise<Lease> {
    await this.#ready();
    const holder = await this.#holder(caller, Date.now());
    this.#used();
    this.#refuseIfLocked();
    const ring = (await loadConfig(this.env)).credentialKeys;
    const unreadable = new Set<number>();
    let checkedD1 = false;

    for (;;) {
      // From here to insertLease: no await, so the choice and the reservation are one step.
      const now = Date.now();
      this.#refuseIfLocked();
      this.#sweep(now);
      this.#dropFinishedPeriods(now);
      const rows = this.#copy.credentials(req.platform, req.tier);
      const candidates = this.#candidates(rows, (keyId) => ring.statusOf(keyId) !== 'missing', unreadable, now);
      const choice = chooseCredential(candidates, now, req.mode);
      if (!choice.ok) {
        // Before saying "none", make sure the copy is not behind D1: one read, on this path only.
        if (!checkedD1) {
          checkedD1 = true;
          if (await this.syncIfBehind()) continue;
        }
        throw noCredential(req, choice.details, now);
      }
      const row = rows.find((r) => r.id === choice.id)!;
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
        mode: choice.mode,
      };
      const state = this.#store.states([choice.id]).get(choice.id) ?? FRESH_STATE;
      this.#store.insertLease(lease);
      this.#store.saveState(choice.id, applyLeased(state, now));
      this.#store.addUsage(choice.id, periods.day, 1);
      this.#store.addUsage(choice.id, periods.month, 1);
      // Counted at the reservation, as D1's last_used_at always was (written back by the alarm).
      this.#copy.credentialUsed(choice.id, now);

      const opened = await openCredential(ring, row.encryptedValue, row.keyId);
      // The copy may have changed while we decrypted (a write answered meanwhile): never lease what it no longer offers.
      const current = this.#copy.credential(choice.id);
      const changed = !current?.isActive || current.encryptedValue !== row.encryptedValue || current.keyId !== row.keyId;
      if (opened.readable && !changed) {
        return {
          lease_id: lease.leaseId,
          credential_id: choice.id,
          platform: req.platform,
          tier: req.tier,
          fields: opened.payload as Record<string, string>,
          expires_at: new Date(lease.expiresAt).toISOString(),
          mode: choice.mode,
        };
      }
      // Undecryptable, or deleted/deactivated/replaced meanwhile: give the reservation back, try again.
      this.#store.deleteLease(lease.leaseId);
      this.#store.addUsage(choice.id, periods.day, -1);
      this.#store.addUsage(choice.id, periods.month, -1);
      if (!changed && !opened.readable) {
        console.log(JSON.stringify({ level: 'warn', code: 'UNDECRYPTABLE', credential_id: choice.id, reason: opened.reason }));
        unreadable.add(choice.id);
      }
    }
  }

  #candidates(rows: readonly CopiedCredential[], keyAvailable: (keyId: string) => boolean, unreadable: Set<number>, now: number): PoolCandidate[] {
    const ids = rows.map((r) => r.id);
    const states = this.#store.states(ids);
    const leases = this.#store.leaseCounts(ids, now);
    const periods = quotaPeriods(now);
    const usage = this.#store.usage(ids, [periods.day, periods.month]);
    return rows.map((r) => {
      const state = states.get(r.id) ?? FRESH_STATE;
      const l = leases.get(r.id);
      return {
        id: r.id,
        isActive: r.isActive,
        keyAvailable: keyAvailable(r.keyId),
        undecryptable: unreadable.has(r.id),
        maxLeases: r.maxLeases ?? DEFAULT_MAX_LEASES,
        sharing: r.sharing,
        dailyQuota: r.dailyQuota,
        monthlyQuota: r.monthlyQuota,
        lastUsedAt: r.lastUsedAt,
        // A cooldown set by id (pool/by-id.ts) blocks like an error cooldown.
        state: { ...state, cooldownUntil: effectiveCooldown(state.cooldownUntil, this.#byId.cooldownUntil(r.id), now) },
        activeLeases: l?.count ?? 0,
        exclusiveLeases: l?.exclusive ?? 0,
        earliestLeaseExpiry: (r.sharing === 'never' ? l?.earliestExpiry : l?.earliestExclusiveExpiry) ?? null,
        usedToday: usage.get(r.id)?.get(periods.day) ?? 0,
        usedThisMonth: usage.get(r.id)?.get(periods.month) ?? 0,
      };
    });
  }

  async renew(req: RenewRequest, caller: PoolCaller): Promise<LeaseRenewal> {
    await this.#ready();
    const now = Date.now();
    const holder = await this.#holder(caller, now);
    this.#used();
    this.#refuseIfLocked();
    const lease = this.#store.liveLease(req.lease_id, now);
    if (!lease || lease.holder !== holder) throw leaseExpired();
    const expiresAt = leaseExpiry(now, req.ttl_seconds);
    this.#store.setLeaseExpiry(lease.leaseId, expiresAt);
    return { lease_id: lease.leaseId, credential_id: lease.credentialId, expires_at: new Date(expiresAt).toISOString() };
  }

  /** Ends a lease that worked: reported units replace the one counted at acquire; error streaks end. */
  async release(req: ReleaseRequest, caller: PoolCaller): Promise<LeaseEnd> {
    await this.#ready();
    const now = Date.now();
    const holder = await this.#holder(caller, now);
    this.#used();
    const lease = this.#endLease(req.lease_id, holder, req.units_used);
    const state = this.#state(lease.credentialId);
    this.#store.saveState(lease.credentialId, applySuccessfulRelease(state));
    return { lease_id: lease.leaseId, credential_id: lease.credentialId, expired: lease.expiresAt <= now };
  }

  /**
   * Ends a lease that failed: cooldown; error_count and last_error_at go back to
   * D1 with the usage. On the third auth failure in a row the credential is
   * deactivated in D1 with its audit event before this answers (the one D1
   * write a pool request can make: rare, and it must not be lost).
   */
  async reportError(req: ReportErrorRequest, caller: PoolCaller): Promise<ErrorReportResult> {
    await this.#ready();
    const now = Date.now();
    const holder = await this.#holder(caller, now);
    this.#used();
    const lease = this.#endLease(req.lease_id, holder, req.units_used);
    const outcome = applyErrorReport(this.#state(lease.credentialId), req.kind, req.retry_after ?? null, now);
    this.#store.saveState(lease.credentialId, outcome.state);
    this.#copy.credentialFailed(lease.credentialId, now);
    if (outcome.deactivate) {
      const db = this.env.DB;
      await db.batch([
        deactivateCredentialStatement(db, lease.credentialId, now),
        auditD1Statement(db, {
          at: now,
          actor: 'pool',
          action: 'credential.deactivate',
          target: `credential:${lease.credentialId}`,
          detail: { reason: 'auth_failed', consecutive_auth_failures: AUTH_FAILURES_BEFORE_DEACTIVATION, reported_by: holder },
        }),
      ]);
      this.#copy.deactivate(lease.credentialId);
    }
    return {
      lease_id: lease.leaseId,
      credential_id: lease.credentialId,
      expired: lease.expiresAt <= now,
      cooldown_until: new Date(outcome.state.cooldownUntil!).toISOString(),
      deactivated: outcome.deactivate,
    };
  }

  #countersKeptFor = '';
  #sweptAt = -Infinity;

  #sweep(now: number): void {
    if (now - this.#sweptAt < SWEEP_INTERVAL_MS) return;
    this.#store.sweepExpired(now - EXPIRED_LEASE_RETENTION_MS);
    this.#byId.sweep(now - RECENT_HOLDER_WINDOW_MS);
    this.#sweptAt = now;
  }

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
    const lease = this.#store.takeLease(leaseId, holder);
    if (!lease) throw leaseExpired();
    // Gone from the lease table, the hold still counts for a cooldown by id (pool/by-id.ts) for an hour.
    this.#byId.leaseEnded(lease.credentialId, holder, Math.min(Date.now(), lease.expiresAt));
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
    this.#byId.clearCooldown(credentialId);
    this.#copy.forgetErrors(credentialId);
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
      const l = leases.get(id);
      return {
        credential_id: id,
        cooldown_until: effectiveCooldown(s.cooldownUntil, this.#byId.cooldownUntil(id), now),
        leases: l?.count ?? 0,
        limiting_leases: limitingLeases(this.#copy.credential(id)?.sharing ?? DEFAULT_SHARING, l?.exclusive ?? 0, l?.count ?? 0),
        used_today: usage.get(id)?.get(periods.day) ?? 0,
        used_this_month: usage.get(id)?.get(periods.month) ?? 0,
        consecutive_auth_failures: s.consecutiveAuthFailures,
      };
    });
    return { lock: this.#lockStatus(now), credentials, day: periods.day, month: periods.month };
  }

  // --- issue 21: operations by credential id (the steps: pool/by-id.ts) ---------------

  async #byIdContext(caller: PoolCaller): Promise<byId.ByIdContext> {
    await this.#ready();
    const now = Date.now();
    const holder = await this.#holder(caller, now);
    return { db: this.env.DB, store: this.#store, copy: this.#copy, byId: this.#byId, holder, now };
  }

  async credentialMetadata(req: CredentialMetadataRequest, caller: PoolCaller): Promise<CredentialMetadataList> {
    return byId.listMetadata(await this.#byIdContext(caller), req);
  }

  async credentialMetadataById(credentialId: number, caller: PoolCaller): Promise<CredentialMetadata> {
    return byId.readMetadata(await this.#byIdContext(caller), credentialId);
  }

  async setCooldown(credentialId: number, req: CooldownRequest, caller: PoolCaller): Promise<CooldownResult> {
    return byId.setCooldown(await this.#byIdContext(caller), credentialId, req);
  }

  async clearCooldown(credentialId: number, caller: PoolCaller): Promise<void> {
    byId.clearCooldown(await this.#byIdContext(caller), credentialId);
  }

  async setExpiresAt(credentialId: number, req: ExpiresAtRequest, caller: PoolCaller): Promise<ExpiresAtResult> {
    return byId.setExpiresAt(await this.#byIdContext(caller), credentialId, req);
  }

  /** The holder of a live lease replaces the credential's fields; refused (423) while a rotation holds the lock. */
  async updateFields(req: UpdateFieldsRequest, caller: PoolCaller): Promise<FieldsUpdated> {
    const ctx = await this.#byIdContext(caller);
    this.#used();
    this.#refuseIfLocked();
    const lease = this.#store.liveLease(req.lease_id, ctx.now);
    if (!lease || lease.holder !== ctx.holder) throw leaseExpired();
    const ring = (await loadConfig(this.env)).credentialKeys;
    return byId.updateFields(ctx, lease, ring, req, () => this.#refuseIfLocked());
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
