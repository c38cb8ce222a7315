/**
 * The lease rules of the credential pool, as pure functions: which credential
 * an acquire gets, why none is available, how long an error cools a
 * credential down, when auth failures deactivate it, and which UTC quota
 * periods a use counts in. No storage, no clock of its own (callers pass
 * `now`), so every rule is tested without bindings.
 *
 * @example
 *   const choice = chooseCredential(candidates, Date.now());
 *   if (choice.ok) reserve(choice.id); else refuse(choice.reason, choice.details);
 */
import { DEFAULT_SHARING, type Sharing } from '../credentials/sharing.ts';

export const DEFAULT_LEASE_TTL_SECONDS = 600;
export const MIN_LEASE_TTL_SECONDS = 30;
export const MAX_LEASE_TTL_SECONDS = 3600;
/** Leases one credential may have at once unless its row says otherwise. */
export const DEFAULT_MAX_LEASES = 1;
export const MAX_COOLDOWN_MINUTES = 60;
/** A collector's `retry_after` is honoured up to a day; beyond that it is surely a bug. */
export const MAX_RETRY_AFTER_SECONDS = 86_400;
export const AUTH_FAILURES_BEFORE_DEACTIVATION = 3;

export const ERROR_KINDS = ['rate_limited', 'auth_failed', 'quota_exhausted', 'other'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/**
 * Lease modes (issue 21). An `exclusive` lease counts against the
 * credential's `max_leases`; a `shared` one never is refused for concurrency
 * (it ignores `max_leases` and every other holder) but counts usage, quota
 * and cooldowns like any other. Exclusive leases do not wait for shared
 * holders: only exclusive leases count against the limit, unless the
 * credential's `sharing` is `never`, where every lease is exclusive and every
 * live lease (also one granted as shared before the setting changed) counts.
 */
export const LEASE_MODES = ['exclusive', 'shared'] as const;
export type LeaseMode = (typeof LEASE_MODES)[number];

/** The mode a request for `requested` is granted on a credential: shared only where sharing is allowed. */
export function grantedMode(requested: LeaseMode, sharing: Sharing): LeaseMode {
  return requested === 'shared' && sharing === 'allowed' ? 'shared' : 'exclusive';
}

/** The live leases that count against `max_leases` for an exclusive grant: exclusive ones; under `never`, all. */
export function limitingLeases(sharing: Sharing, exclusiveLeases: number, allLeases: number): number {
  return sharing === 'never' ? allLeases : exclusiveLeases;
}

/** Whether a credential with these leases can take one more lease in `mode` (concurrency only). */
export function admitsLease(mode: LeaseMode, sharing: Sharing, exclusiveLeases: number, allLeases: number, maxLeases: number): boolean {
  if (grantedMode(mode, sharing) === 'shared') return true;
  return limitingLeases(sharing, exclusiveLeases, allLeases) < Math.max(1, maxLeases);
}

/** What the pool remembers about one credential between leases. */
export interface CredentialPoolState {
  lastLeasedAt: number | null;
  cooldownUntil: number | null;
  /** Errors reported since the last successful release (any kind): the n in 2^(n-1). */
  consecutiveErrors: number;
  /** `auth_failed` reports in a row, with no other outcome in between. */
  consecutiveAuthFailures: number;
}

export const FRESH_STATE: CredentialPoolState = Object.freeze({
  lastLeasedAt: null,
  cooldownUntil: null,
  consecutiveErrors: 0,
  consecutiveAuthFailures: 0,
});

/** One credential row as the chooser sees it: D1 facts joined with pool state. */
export interface PoolCandidate {
  id: number;
  isActive: boolean;
  /** False when the row's key id is not in the ring (the key is missing). */
  keyAvailable: boolean;
  /** Set by the caller after a decrypt failed under a key that *is* in the ring. */
  undecryptable?: boolean;
  maxLeases: number;
  /** `api_credentials.sharing`; absent = allowed. */
  sharing?: Sharing;
  dailyQuota: number | null;
  monthlyQuota: number | null;
  /** `api_credentials.last_used_at` (D1); the pool's own lastLeasedAt wins when later. */
  lastUsedAt: number | null;
  state: CredentialPoolState;
  /** Live leases of both modes. */
  activeLeases: number;
  /** Live exclusive leases; absent = all of activeLeases. */
  exclusiveLeases?: number;
  /** When the earliest of its live leases that count against the limit ends, if it has any. */
  earliestLeaseExpiry: number | null;
  usedToday: number;
  usedThisMonth: number;
}

export type BlockReason = 'inactive' | 'key_missing' | 'undecryptable' | 'quota_exhausted' | 'cooling_down' | 'leased';

export type NoCredentialReason = 'none_configured' | 'all_cooling_down' | 'quota_exhausted' | 'all_leased' | 'key_missing' | 'undecryptable';

export interface NoCredentialDetails {
  reason: NoCredentialReason;
  configured: number;
  active: number;
  cooling_down: number;
  quota_exhausted: number;
  leased: number;
  key_missing: number;
  undecryptable: number;
  /** Earliest moment (unix ms) a credential could become usable, when known. */
  retry_at: number | null;
}

export type Choice = { ok: true; id: number; mode: LeaseMode } | { ok: false; details: NoCredentialDetails };

/** Why a credential cannot be leased in `mode` right now, or null when it can. Permanent reasons first. */
export function blockReason(c: PoolCandidate, now: number, mode: LeaseMode = 'exclusive'): BlockReason | null {
  if (!c.isActive) return 'inactive';
  if (!c.keyAvailable) return 'key_missing';
  if (c.undecryptable) return 'undecryptable';
  if (quotaExhausted(c)) return 'quota_exhausted';
  if (c.state.cooldownUntil !== null && c.state.cooldownUntil > now) return 'cooling_down';
  if (!admitsLease(mode, c.sharing ?? DEFAULT_SHARING, c.exclusiveLeases ?? c.activeLeases, c.activeLeases, c.maxLeases)) return 'leased';
  return null;
}

/** At or over its daily or monthly quota (health counts these apart as `quota_exhausted`). */
export function quotaExhausted(c: PoolCandidate): boolean {
  return (c.dailyQuota !== null && c.usedToday >= c.dailyQuota) || (c.monthlyQuota !== null && c.usedThisMonth >= c.monthlyQuota);
}

function lastUse(c: PoolCandidate): number {
  return Math.max(c.lastUsedAt ?? -1, c.state.lastLeasedAt ?? -1);
}

/**
 * Picks the least recently used credential that is active, readable, under
 * quota, not cooling down and, for an exclusive lease, below its lease limit
 * (ties: fewer leases of both modes, then lower id). When there is none, says
 * why, with counts per reason. The choice says the mode granted (grantedMode).
 */
export function chooseCredential(candidates: readonly PoolCandidate[], now: number, mode: LeaseMode = 'exclusive'): Choice {
  let best: PoolCandidate | null = null;
  const counts: Record<BlockReason, number> = {
    inactive: 0,
    key_missing: 0,
    undecryptable: 0,
    quota_exhausted: 0,
    cooling_down: 0,
    leased: 0,
  };
  let retryAt: number | null = null;
  const periods = quotaPeriods(now);
  const soonest = (t: number | null) => {
    if (t !== null && t > now && (retryAt === null || t < retryAt)) retryAt = t;
  };
  for (const c of candidates) {
    const why = blockReason(c, now, mode);
    if (why === null) {
      if (
        best === null ||
        lastUse(c) < lastUse(best) ||
        (lastUse(c) === lastUse(best) && (c.activeLeases < best.activeLeases || (c.activeLeases === best.activeLeases && c.id < best.id)))
      ) {
        best = c;
      }
      continue;
    }
    counts[why]++;
    if (why === 'cooling_down') soonest(c.state.cooldownUntil);
    if (why === 'leased') soonest(c.earliestLeaseExpiry);
    if (why === 'quota_exhausted') {
      const monthly = c.monthlyQuota !== null && c.usedThisMonth >= c.monthlyQuota;
      soonest(monthly ? periods.nextMonthStart : periods.nextDayStart);
    }
  }
  if (best) return { ok: true, id: best.id, mode: grantedMode(mode, best.sharing ?? DEFAULT_SHARING) };
  const active = candidates.length - counts.inactive;
  return {
    ok: false,
    details: {
      reason: noCredentialReason(active, counts),
      configured: candidates.length,
      active,
      cooling_down: counts.cooling_down,
      quota_exhausted: counts.quota_exhausted,
      leased: counts.leased,
      key_missing: counts.key_missing,
      undecryptable: counts.undecryptable,
      retry_at: retryAt,
    },
  };
}

/**
 * The headline reason. With mixed causes, the one that clears soonest wins
 * (a lease ends before a cooldown, a cooldown before a quota period, and a
 * missing key never clears by itself); the counts say the rest.
 */
function noCredentialReason(active: number, counts: Record<BlockReason, number>): NoCredentialReason {
  if (active === 0) return 'none_configured';
  if (counts.leased) return 'all_leased';
  if (counts.cooling_down) return 'all_cooling_down';
  if (counts.quota_exhausted) return 'quota_exhausted';
  if (counts.key_missing) return 'key_missing';
  return 'undecryptable';
}

/** Cooldown after the n-th consecutive error: 2^(n-1) minutes capped at 60, or `retry_after` seconds when given. */
export function cooldownMs(consecutiveErrors: number, retryAfterSeconds?: number | null): number {
  if (retryAfterSeconds !== undefined && retryAfterSeconds !== null && retryAfterSeconds > 0) {
    return Math.min(retryAfterSeconds, MAX_RETRY_AFTER_SECONDS) * 1000;
  }
  const n = Math.max(1, consecutiveErrors);
  const minutes = n > 7 ? MAX_COOLDOWN_MINUTES : Math.min(2 ** (n - 1), MAX_COOLDOWN_MINUTES);
  return minutes * 60_000;
}

export interface ErrorOutcome {
  state: CredentialPoolState;
  /** True when this report completes a streak of AUTH_FAILURES_BEFORE_DEACTIVATION auth failures. */
  deactivate: boolean;
}

/** State after a collector reports an error on a lease of this credential. */
export function applyErrorReport(state: CredentialPoolState, kind: ErrorKind, retryAfterSeconds: number | null, now: number): ErrorOutcome {
  const consecutiveErrors = state.consecutiveErrors + 1;
  const authStreak = kind === 'auth_failed' ? state.consecutiveAuthFailures + 1 : 0;
  const deactivate = authStreak >= AUTH_FAILURES_BEFORE_DEACTIVATION;
  const until = now + cooldownMs(consecutiveErrors, retryAfterSeconds);
  return {
    state: {
      ...state,
      consecutiveErrors,
      // Deactivation uses the streak up: once an admin re-activates, it takes three new failures again.
      consecutiveAuthFailures: deactivate ? 0 : authStreak,
      // A later, shorter report never shortens a cooldown already running.
      cooldownUntil: Math.max(until, state.cooldownUntil ?? 0),
    },
    deactivate,
  };
}

/** A successful release: the credential works, so the error streaks end. */
export function applySuccessfulRelease(state: CredentialPoolState): CredentialPoolState {
  return { ...state, consecutiveErrors: 0, consecutiveAuthFailures: 0 };
}

/** An admin's reset-errors: streaks and cooldown cleared (the original kept the cooldown). */
export function applyErrorReset(state: CredentialPoolState): CredentialPoolState {
  return { ...state, consecutiveErrors: 0, consecutiveAuthFailures: 0, cooldownUntil: null };
}

/**
 * A cooldown set by id (POST /api/pool/credentials/:id/cooldown) runs beside
 * the error cooldown: the credential is usable again when both are over.
 */
export function effectiveCooldown(errorCooldownUntil: number | null, byIdUntil: number | null | undefined, now: number): number | null {
  const until = Math.max(errorCooldownUntil ?? -Infinity, byIdUntil ?? -Infinity);
  return until > now ? until : null;
}

/** A key may cool a credential down by id while it holds, or within this long after it held, a lease on it. */
export const RECENT_HOLDER_WINDOW_MS = 60 * 60_000;

/** Did a holder whose last lease on the credential ended at `lastHeldUntil` (null: never) hold it recently? */
export function isRecentHolder(lastHeldUntil: number | null, now: number): boolean {
  return lastHeldUntil !== null && lastHeldUntil >= now - RECENT_HOLDER_WINDOW_MS;
}

export function applyLeased(state: CredentialPoolState, now: number): CredentialPoolState {
  return { ...state, lastLeasedAt: now };
}

export interface QuotaPeriods {
  /** `d:YYYY-MM-DD` (UTC). */
  day: string;
  /** `m:YYYY-MM` (UTC). */
  month: string;
  nextDayStart: number;
  nextMonthStart: number;
}

/** The UTC day and month a use at `now` counts in. */
export function quotaPeriods(now: number): QuotaPeriods {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const iso = d.toISOString();
  return {
    day: `d:${iso.slice(0, 10)}`,
    month: `m:${iso.slice(0, 7)}`,
    nextDayStart: Date.UTC(y, m, d.getUTCDate() + 1),
    nextMonthStart: Date.UTC(y, m + 1, 1),
  };
}

/**
 * Quota accounting: an acquire counts one unit when it is granted; a release
 * or error report that states `units_used` replaces that one unit with the
 * stated number. Returns the correction to add.
 */
export function unitsCorrection(unitsUsed: number | null | undefined): number {
  return unitsUsed === undefined || unitsUsed === null ? 0 : unitsUsed - 1;
}

/** When a lease granted or renewed at `now` ends. */
export function leaseExpiry(now: number, ttlSeconds: number | null | undefined): number {
  return now + (ttlSeconds ?? DEFAULT_LEASE_TTL_SECONDS) * 1000;
}
