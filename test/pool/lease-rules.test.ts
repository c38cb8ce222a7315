import { describe, expect, it } from 'vitest';
import {
  FRESH_STATE,
  admitsLease,
  applyErrorReport,
  applyErrorReset,
  applySuccessfulRelease,
  chooseCredential,
  cooldownMs,
  effectiveCooldown,
  grantedMode,
  isRecentHolder,
  quotaPeriods,
  unitsCorrection,
  type PoolCandidate,
} from '../../src/pool/lease-rules.ts';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

function cand(id: number, over: Partial<PoolCandidate> = {}): PoolCandidate {
  return {
    id,
    isActive: true,
    keyAvailable: true,
    maxLeases: 1,
    dailyQuota: null,
    monthlyQuota: null,
    lastUsedAt: null,
    state: FRESH_STATE,
    activeLeases: 0,
    earliestLeaseExpiry: null,
    usedToday: 0,
    usedThisMonth: 0,
    ...over,
  };
}

describe('chooseCredential', () => {
  it('picks the least recently used eligible credential, counting both D1 last_used_at and the pool’s own lease time', () => {
    const c = [
      cand(1, { lastUsedAt: NOW - 1000 }),
      cand(2, { lastUsedAt: NOW - 5000, state: { ...FRESH_STATE, lastLeasedAt: NOW - 10 } }),
      cand(3, { lastUsedAt: NOW - 3000 }),
    ];
    expect(chooseCredential(c, NOW)).toEqual({ ok: true, id: 3, mode: 'exclusive' });
    expect(chooseCredential([...c, cand(4)], NOW)).toEqual({ ok: true, id: 4, mode: 'exclusive' }); // never used wins
  });

  it('skips inactive, missing-key, undecryptable, over-quota, cooling and fully leased credentials', () => {
    const blocked = [
      cand(1, { isActive: false }),
      cand(2, { keyAvailable: false }),
      cand(3, { undecryptable: true }),
      cand(4, { dailyQuota: 5, usedToday: 5 }),
      cand(5, { monthlyQuota: 10, usedThisMonth: 10 }),
      cand(6, { state: { ...FRESH_STATE, cooldownUntil: NOW + 60_000 } }),
      cand(7, { activeLeases: 1, earliestLeaseExpiry: NOW + 30_000 }),
      cand(8, { maxLeases: 3, activeLeases: 3, earliestLeaseExpiry: NOW + 90_000 }),
    ];
    const r = chooseCredential(blocked, NOW);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.details).toMatchObject({
      reason: 'all_leased',
      configured: 8,
      active: 7,
      key_missing: 1,
      undecryptable: 1,
      quota_exhausted: 2,
      cooling_down: 1,
      leased: 2,
    });
    expect(r.details.retry_at).toBe(NOW + 30_000); // the soonest lease end
    // A credential whose cooldown has passed, or below its lease limit, is eligible again.
    expect(chooseCredential([cand(9, { state: { ...FRESH_STATE, cooldownUntil: NOW } })], NOW)).toEqual({ ok: true, id: 9, mode: 'exclusive' });
    expect(chooseCredential([cand(10, { maxLeases: 2, activeLeases: 1 })], NOW)).toEqual({ ok: true, id: 10, mode: 'exclusive' });
  });

  it('names each reason when it is the only one', () => {
    const reason = (c: PoolCandidate[]) => {
      const r = chooseCredential(c, NOW);
      return r.ok ? null : r.details;
    };
    expect(reason([])).toMatchObject({ reason: 'none_configured', configured: 0, retry_at: null });
    expect(reason([cand(1, { isActive: false })])).toMatchObject({ reason: 'none_configured', configured: 1, active: 0 });
    expect(
      reason([cand(1, { state: { ...FRESH_STATE, cooldownUntil: NOW + 5000 } }), cand(2, { state: { ...FRESH_STATE, cooldownUntil: NOW + 2000 } })]),
    ).toMatchObject({ reason: 'all_cooling_down', retry_at: NOW + 2000 });
    expect(reason([cand(1, { dailyQuota: 1, usedToday: 1 })])).toMatchObject({ reason: 'quota_exhausted', retry_at: Date.UTC(2026, 10, 29) });
    expect(reason([cand(1, { monthlyQuota: 1, usedThisMonth: 1 })])).toMatchObject({ reason: 'quota_exhausted', retry_at: Date.UTC(2026, 11, 1) });
    expect(reason([cand(1, { keyAvailable: false })])).toMatchObject({ reason: 'key_missing', retry_at: null });
    expect(reason([cand(1, { undecryptable: true })])).toMatchObject({ reason: 'undecryptable' });
  });
});

describe('cooldowns and error streaks', () => {
  it('cools down 2^(n-1) minutes, capped at 60, unless retry_after is given', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 40].map((n) => cooldownMs(n) / 60_000)).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
    expect(cooldownMs(5, 17)).toBe(17_000);
    expect(cooldownMs(1, 10 ** 9)).toBe(86_400_000); // capped at a day
  });

  it('counts consecutive errors across kinds, and auth failures only in an unbroken row', () => {
    let s = FRESH_STATE;
    const kinds = ['rate_limited', 'auth_failed', 'auth_failed', 'other', 'auth_failed', 'auth_failed'] as const;
    const deactivations: boolean[] = [];
    for (const k of kinds) {
      const o = applyErrorReport(s, k, null, NOW);
      s = o.state;
      deactivations.push(o.deactivate);
    }
    expect(s.consecutiveErrors).toBe(6);
    expect(s.consecutiveAuthFailures).toBe(2);
    expect(deactivations.every((d) => !d)).toBe(true);
    const third = applyErrorReport(s, 'auth_failed', null, NOW);
    expect(third.deactivate).toBe(true);
    expect(third.state.cooldownUntil).toBe(NOW + 60 * 60_000); // 7th consecutive error: capped
    // The deactivation used the streak up: after re-activation it takes three new failures.
    expect(third.state.consecutiveAuthFailures).toBe(0);
    expect(applyErrorReport(third.state, 'auth_failed', null, NOW).deactivate).toBe(false);
  });

  it('never shortens a running cooldown; a successful release ends the streaks; reset clears the cooldown too', () => {
    const long = applyErrorReport(FRESH_STATE, 'rate_limited', 3600, NOW).state;
    const short = applyErrorReport(long, 'other', 5, NOW).state;
    expect(short.cooldownUntil).toBe(NOW + 3_600_000);
    const released = applySuccessfulRelease(short);
    expect(released).toMatchObject({ consecutiveErrors: 0, consecutiveAuthFailures: 0, cooldownUntil: NOW + 3_600_000 });
    expect(applyErrorReset(short)).toMatchObject({ consecutiveErrors: 0, consecutiveAuthFailures: 0, cooldownUntil: null });
    expect(applyErrorReport(released, 'rate_limited', null, NOW).state.cooldownUntil).toBe(NOW + 3_600_000);
    expect(applyErrorReport(applyErrorReset(short), 'rate_limited', null, NOW).state.cooldownUntil).toBe(NOW + 60_000);
  });
});

describe('quota periods and units', () => {
  it('uses UTC days and months', () => {
    const p = quotaPeriods(Date.UTC(2026, 11, 31, 23, 59, 59));
    expect(p).toEqual({ day: 'd:2026-12-31', month: 'm:2026-12', nextDayStart: Date.UTC(2027, 0, 1), nextMonthStart: Date.UTC(2027, 0, 1) });
  });

  it('replaces the one unit counted at acquire with the reported units', () => {
    expect(unitsCorrection(undefined)).toBe(0);
    expect(unitsCorrection(1)).toBe(0);
    expect(unitsCorrection(25)).toBe(24);
    expect(unitsCorrection(0)).toBe(-1);
  });
});

describe('lease modes and operations by id (issue 21)', () => {
  it('grants shared only where sharing is allowed, and never refuses it for concurrency', () => {
    expect(grantedMode('shared', 'allowed')).toBe('shared');
    expect(grantedMode('shared', 'never')).toBe('exclusive');
    expect(grantedMode('exclusive', 'allowed')).toBe('exclusive');
    expect(admitsLease('shared', 'allowed', 5, 9, 1)).toBe(true);
    // Exclusive counts exclusive leases only; under `never`, every lease.
    expect(admitsLease('exclusive', 'allowed', 0, 9, 1)).toBe(true);
    expect(admitsLease('exclusive', 'allowed', 1, 1, 1)).toBe(false);
    expect(admitsLease('shared', 'never', 0, 1, 1)).toBe(false);
    expect(admitsLease('exclusive', 'never', 1, 2, 3)).toBe(true);
  });

  it('chooses for a shared lease a credential whose exclusive limit is full, and says the mode granted', () => {
    const full = cand(1, { activeLeases: 1, exclusiveLeases: 1, earliestLeaseExpiry: NOW + 1000 });
    expect(chooseCredential([full], NOW, 'exclusive').ok).toBe(false);
    expect(chooseCredential([full], NOW, 'shared')).toEqual({ ok: true, id: 1, mode: 'shared' });
    expect(chooseCredential([{ ...full, sharing: 'never' }], NOW, 'shared').ok).toBe(false);
    expect(chooseCredential([cand(2, { sharing: 'never' })], NOW, 'shared')).toEqual({ ok: true, id: 2, mode: 'exclusive' });
    // Shared holders do not block an exclusive lease where sharing is allowed.
    expect(chooseCredential([cand(3, { activeLeases: 4, exclusiveLeases: 0 })], NOW)).toEqual({ ok: true, id: 3, mode: 'exclusive' });
  });

  it('runs a cooldown by id beside the error cooldown, and judges holders within the hour', () => {
    expect(effectiveCooldown(NOW + 10, NOW + 20, NOW)).toBe(NOW + 20);
    expect(effectiveCooldown(NOW + 30, NOW + 20, NOW)).toBe(NOW + 30);
    expect(effectiveCooldown(NOW - 1, null, NOW)).toBeNull();
    expect(isRecentHolder(null, NOW)).toBe(false);
    expect(isRecentHolder(NOW - 60 * 60_000, NOW)).toBe(true);
    expect(isRecentHolder(NOW - 60 * 60_000 - 1, NOW)).toBe(false);
  });
});
