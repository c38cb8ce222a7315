/**
 * Leases (one job): acquire, renew, release and report-error over the pool's
 * own storage (pool-store.ts) and its working copy (copy-store.ts); the
 * decisions are lease-rules.ts'. The object (durable-object.ts) has already
 * judged the caller and checked the copy and the lock when a call gets here.
 *
 * Concurrency: acquire awaits the key ring, a version check (before saying
 * "none") and the decryption, so other requests interleave. It chooses and
 * *reserves* the lease with no await in between; after EVERY await it asks
 * the host to judge the caller again (`recheck`: key revoked or expired,
 * owner demoted, copy known to be behind), and after decrypting it also
 * checks the copy again: it gives the reservation back if the caller lost
 * its standing or the row was deleted, deactivated or replaced meanwhile.
 *
 * Acquire is the only place a plaintext credential leaves the vault.
 */
import { VaultError } from '../errors.ts';
import { log } from '../kernel/log.ts';
import { base64urlEncode } from '../crypto/encoding.ts';
import type { CredentialKeyRing } from '../crypto/key-ring.ts';
import { openCredential } from '../credentials/sealing.ts';
import type { CopiedCredential, CopyStore } from './copy-store.ts';
import type { LeaseRecord, PoolStore } from './pool-store.ts';
import type { UsageDayOutbox } from './usage-days.ts';
import type { ByIdStore } from './by-id-store.ts';
import { DEFAULT_SHARING } from '../credentials/sharing.ts';
import { pauseAt } from './faults.ts';
import {
  DEFAULT_MAX_LEASES,
  FRESH_STATE,
  RECENT_HOLDER_WINDOW_MS,
  applyErrorReport,
  applyErrorReset,
  applyLeased,
  applySuccessfulRelease,
  chooseCredential,
  effectiveCooldown,
  leaseExpiry,
  limitingLeases,
  quotaPeriods,
  unitsCorrection,
  type CredentialPoolState,
  type NoCredentialDetails,
  type PoolCandidate,
} from './lease-rules.ts';
import type { AcquireRequest, ReleaseRequest, RenewRequest, ReportErrorRequest } from './requests.ts';
import type { ErrorReportResult, Lease, LeaseEnd, LeaseRenewal } from './types.ts';

/** Expired leases are kept this long so a late release or error report still counts. */
const EXPIRED_LEASE_RETENTION_MS = 60 * 60_000;
/** Expired leases past their retention are swept at most this often (on acquire). */
const SWEEP_INTERVAL_MS = 60_000;

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

export interface LeasesHost {
  store: PoolStore;
  copy: CopyStore;
  /** Cooldowns by id and lease ends (issue 21, pool/by-id.ts). */
  byId: ByIdStore;
  /** Usage per credential and UTC day (issue 23, pool/usage-days.ts). */
  usageDays: UsageDayOutbox;
  ring(): Promise<CredentialKeyRing>;
  /** 423 while a rotation holds the lock. */
  refuseIfLocked(): void;
  /** One version check before answering "none": true when the copy changed (false when D1 could not say). */
  copyChanged(): Promise<boolean>;
  /** The third auth failure in a row: the credential is deactivated in D1, with its audit event, before this answers. */
  deactivate(credentialId: number, reportedBy: string, now: number): Promise<void>;
}

export class Leases {
  readonly #host: LeasesHost;
  #countersKeptFor = '';
  #sweptAt = -Infinity;

  constructor(host: LeasesHost) {
    this.#host = host;
  }

  /** `recheck` throws when the caller may no longer be served: it runs after every await. */
  async acquire(req: AcquireRequest, holder: string, recheck: () => void): Promise<Lease> {
    const { store, copy } = this.#host;
    const ring = await this.#host.ring();
    recheck();
    const unreadable = new Set<number>();
    let checkedD1 = false;

    for (;;) {
      // From here to insertLease: no await, so the choice and the reservation are one step.
      const now = Date.now();
      this.#host.refuseIfLocked();
      this.#sweep(now);
      this.#dropFinishedPeriods(now);
      const rows = copy.credentials(req.platform, req.tier);
      const choice = chooseCredential(
        this.#candidates(rows, (keyId) => ring.statusOf(keyId) !== 'missing', unreadable, now),
        now,
        req.mode,
      );
      if (!choice.ok) {
        // Before saying "none", make sure the copy is not behind D1: one read, on this path only.
        if (!checkedD1) {
          checkedD1 = true;
          const changed = await this.#host.copyChanged();
          recheck();
          if (changed) continue;
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
      store.insertLease(lease);
      store.saveState(choice.id, applyLeased(this.#state(choice.id), now));
      store.addUsage(choice.id, periods.day, 1);
      store.addUsage(choice.id, periods.month, 1);
      // Counted at the reservation, as D1's last_used_at always was (written back by the alarm).
      copy.credentialUsed(choice.id, now);

      const opened = await openCredential(ring, row.encryptedValue, row.keyId);
      const held = pauseAt('acquire.decrypted');
      if (held) await held;
      let refusal: unknown = null;
      try {
        recheck();
      } catch (e) {
        refusal = e;
      }
      // The copy may have changed while we decrypted (a write answered meanwhile): never lease what it no longer offers.
      const current = copy.credential(choice.id);
      const changed = !current?.isActive || current.encryptedValue !== row.encryptedValue || current.keyId !== row.keyId;
      if (refusal === null && opened.readable && !changed) {
        this.#host.usageDays.leased(choice.id, now);
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
      // Refused meanwhile, undecryptable, or deleted/deactivated/replaced: give the reservation back.
      store.deleteLease(lease.leaseId);
      store.addUsage(choice.id, periods.day, -1);
      store.addUsage(choice.id, periods.month, -1);
      if (refusal !== null) throw refusal;
      if (!changed && !opened.readable) {
        log.warn('pool.undecryptable', { code: 'UNDECRYPTABLE', credential_id: choice.id, reason: opened.reason });
        unreadable.add(choice.id);
      }
    }
  }

  #candidates(rows: readonly CopiedCredential[], keyAvailable: (keyId: string) => boolean, unreadable: Set<number>, now: number): PoolCandidate[] {
    const { store } = this.#host;
    const ids = rows.map((r) => r.id);
    const states = store.states(ids);
    const leases = store.leaseCounts(ids, now);
    const periods = quotaPeriods(now);
    const usage = store.usage(ids, [periods.day, periods.month]);
    const { byId } = this.#host;
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
        state: { ...state, cooldownUntil: effectiveCooldown(state.cooldownUntil, byId.cooldownUntil(r.id), now) },
        activeLeases: l?.count ?? 0,
        exclusiveLeases: l?.exclusive ?? 0,
        earliestLeaseExpiry: (r.sharing === 'never' ? l?.earliestExpiry : l?.earliestExclusiveExpiry) ?? null,
        usedToday: usage.get(r.id)?.get(periods.day) ?? 0,
        usedThisMonth: usage.get(r.id)?.get(periods.month) ?? 0,
      };
    });
  }

  renew(req: RenewRequest, holder: string, now: number): LeaseRenewal {
    const { store } = this.#host;
    this.#host.refuseIfLocked();
    const lease = store.liveLease(req.lease_id, now);
    if (!lease || lease.holder !== holder) throw leaseExpired();
    const expiresAt = leaseExpiry(now, req.ttl_seconds);
    store.setLeaseExpiry(lease.leaseId, expiresAt);
    return { lease_id: lease.leaseId, credential_id: lease.credentialId, expires_at: new Date(expiresAt).toISOString() };
  }

  /** Ends a lease that worked: reported units replace the one counted at acquire; error streaks end. */
  release(req: ReleaseRequest, holder: string, now: number): LeaseEnd {
    const lease = this.#endLease(req.lease_id, holder, req.units_used);
    this.#host.store.saveState(lease.credentialId, applySuccessfulRelease(this.#state(lease.credentialId)));
    return { lease_id: lease.leaseId, credential_id: lease.credentialId, expired: lease.expiresAt <= now };
  }

  /**
   * Ends a lease that failed: cooldown; error_count and last_error_at go back to
   * D1 with the usage. On the third auth failure in a row the credential is
   * deactivated in D1 with its audit event before this answers (the one D1
   * write a pool request can make: rare, and it must not be lost). If D1
   * fails, nothing changed here: 503 POOL_UNAVAILABLE, and the collector may
   * report again.
   */
  async reportError(req: ReportErrorRequest, holder: string, now: number): Promise<ErrorReportResult> {
    const { store, copy } = this.#host;
    const held = store.heldLease(req.lease_id, holder);
    if (!held) throw leaseExpired();
    // D1 first: if the deactivation cannot be written, the report changes nothing here and can be sent again.
    if (applyErrorReport(this.#state(held.credentialId), req.kind, req.retry_after ?? null, now).deactivate) {
      await this.#host.deactivate(held.credentialId, holder, now);
      copy.deactivate(held.credentialId);
    }
    // No await from here on: the lease ends with the state as it is now.
    const lease = this.#endLease(req.lease_id, holder, req.units_used);
    const outcome = applyErrorReport(this.#state(lease.credentialId), req.kind, req.retry_after ?? null, now);
    store.saveState(lease.credentialId, outcome.state);
    copy.credentialFailed(lease.credentialId, now);
    this.#host.usageDays.errorReported(lease.credentialId, req.kind, now);
    return {
      lease_id: lease.leaseId,
      credential_id: lease.credentialId,
      expired: lease.expiresAt <= now,
      cooldown_until: new Date(outcome.state.cooldownUntil!).toISOString(),
      deactivated: outcome.deactivate,
    };
  }

  /** reset-errors: clears the cooldown and error streaks of one credential (leases and quota use stay). */
  resetErrors(credentialId: number): void {
    this.#host.store.saveState(credentialId, applyErrorReset(this.#state(credentialId)));
    this.#host.byId.clearCooldown(credentialId);
    this.#host.copy.forgetErrors(credentialId);
  }

  /** Every credential the pool has any state for (absent ones are fresh), for health. */
  views(now: number): { credentials: CredentialPoolView[]; day: string; month: string } {
    const { store, copy, byId } = this.#host;
    const periods = quotaPeriods(now);
    const states = store.states(null);
    const leases = store.leaseCounts(null, now);
    const usage = store.usage(null, [periods.day, periods.month]);
    const ids = new Set<number>([...states.keys(), ...leases.keys(), ...usage.keys()]);
    const credentials = [...ids]
      .sort((a, b) => a - b)
      .map((id): CredentialPoolView => {
        const s = states.get(id) ?? FRESH_STATE;
        const l = leases.get(id);
        return {
          credential_id: id,
          cooldown_until: effectiveCooldown(s.cooldownUntil, byId.cooldownUntil(id), now),
          leases: l?.count ?? 0,
          limiting_leases: limitingLeases(copy.credential(id)?.sharing ?? DEFAULT_SHARING, l?.exclusive ?? 0, l?.count ?? 0),
          used_today: usage.get(id)?.get(periods.day) ?? 0,
          used_this_month: usage.get(id)?.get(periods.month) ?? 0,
          consecutive_auth_failures: s.consecutiveAuthFailures,
        };
      });
    return { credentials, day: periods.day, month: periods.month };
  }

  #sweep(now: number): void {
    if (now - this.#sweptAt < SWEEP_INTERVAL_MS) return;
    this.#host.store.sweepExpired(now - EXPIRED_LEASE_RETENTION_MS);
    this.#host.byId.sweep(now - RECENT_HOLDER_WINDOW_MS);
    this.#sweptAt = now;
  }

  /** Quota counters of past days and months are dead weight: drop them once per day. */
  #dropFinishedPeriods(now: number): void {
    const p = quotaPeriods(now);
    if (this.#countersKeptFor === p.day) return;
    this.#host.store.dropOtherPeriods([p.day, p.month]);
    this.#countersKeptFor = p.day;
  }

  #state(credentialId: number): CredentialPoolState {
    return this.#host.store.states([credentialId]).get(credentialId) ?? FRESH_STATE;
  }

  #endLease(leaseId: string, holder: string, unitsUsed: number | undefined): LeaseRecord {
    const { store } = this.#host;
    const lease = store.takeLease(leaseId, holder);
    if (!lease) throw leaseExpired();
    // Gone from the lease table, the hold still counts for a cooldown by id (pool/by-id.ts) for an hour.
    this.#host.byId.leaseEnded(lease.credentialId, holder, Math.min(Date.now(), lease.expiresAt));
    const correction = unitsCorrection(unitsUsed);
    if (correction !== 0) {
      store.addUsage(lease.credentialId, lease.dayPeriod, correction);
      store.addUsage(lease.credentialId, lease.monthPeriod, correction);
      this.#host.usageDays.unitsCorrected(lease.credentialId, lease.dayPeriod, correction);
    }
    return lease;
  }
}

export function leaseExpired(): VaultError {
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
