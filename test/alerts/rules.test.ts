/** The pure alert rules: each kind opens on its facts and is gone when they change back. */
import { describe, expect, it } from 'vitest';
import { evaluate, type CheckFacts, type CredentialFact } from '../../src/alerts/rules.ts';
import { checkDestinationUrl, MAX_ATTEMPTS, nextAttemptAt, RETRY_DELAYS_MS } from '../../src/alerts/messages.ts';

const NOW = Date.UTC(2026, 11, 7, 12);
const DAY = 86_400_000;

function cred(over: Partial<CredentialFact> = {}): CredentialFact {
  return { id: 1, platform: 'youtube', tier: 'free', key_id: 'k-current', is_active: true, daily_quota: null, monthly_quota: null, expires_at: null, ...over };
}

function facts(over: Partial<CheckFacts> = {}): CheckFacts {
  return {
    now: NOW,
    credentials: [cred()],
    deactivatedByPool: new Set(),
    refusedByProvider: new Map(),
    keyStatus: (k) => (k === 'k-current' ? 'current' : 'missing'),
    enabledArenaTiers: new Set(),
    usage: new Map(),
    apiKeys: [],
    rotation: { phase: 'idle', run_id: null, updated_at: null },
    ...over,
  };
}

const kinds = (f: CheckFacts) => evaluate(f).findings.map((x) => `${x.kind} ${x.subject}`);

describe('alert rules', () => {
  it('nothing is wrong: no findings, every kind evaluated', () => {
    const e = evaluate(facts());
    expect(e.findings).toEqual([]);
    expect(e.evaluated.size).toBe(7);
  });

  it('credential_deactivated: inactive and deactivated by the pool; not an admin deactivation; gone once active', () => {
    expect(kinds(facts({ credentials: [cred({ is_active: false })], deactivatedByPool: new Set([1]) }))).toEqual(['credential_deactivated credential:1']);
    expect(kinds(facts({ credentials: [cred({ is_active: false })] }))).toEqual([]);
    expect(kinds(facts({ credentials: [cred()], deactivatedByPool: new Set([1]) }))).toEqual([]);
  });

  it('credential_deactivated also opens for an active credential whose latest live check the provider refused', () => {
    const refused = new Map([[1, NOW - DAY]]);
    const e = evaluate(facts({ refusedByProvider: refused }));
    expect(e.findings.map((x) => `${x.kind} ${x.subject}`)).toEqual(['credential_deactivated credential:1']);
    expect(e.findings[0]!.summary).toContain('2026-12-06');
    // One alert per credential, whether the pool deactivated it or the provider refused it.
    expect(kinds(facts({ credentials: [cred({ is_active: false })], deactivatedByPool: new Set([1]), refusedByProvider: refused }))).toEqual([
      'credential_deactivated credential:1',
    ]);
    // An admin took it out of use: nothing to warn about.
    expect(kinds(facts({ credentials: [cred({ is_active: false })], refusedByProvider: refused }))).toEqual([]);
  });

  it('no_credential_available: an enabled arena needs a platform/tier with no active readable credential', () => {
    const enabled = new Set(['youtube:free']);
    expect(kinds(facts({ credentials: [], enabledArenaTiers: enabled }))).toEqual(['no_credential_available youtube/free']);
    expect(kinds(facts({ credentials: [cred({ is_active: false })], enabledArenaTiers: enabled }))).toEqual(['no_credential_available youtube/free']);
    expect(kinds(facts({ credentials: [cred()], enabledArenaTiers: enabled }))).toEqual([]);
    // Not enabled in any design: no alert.
    expect(kinds(facts({ credentials: [] }))).toEqual([]);
  });

  it('quota_nearly_exhausted: at 80% of a daily or monthly quota, not below; not evaluated without the pool', () => {
    const c = cred({ daily_quota: 10, monthly_quota: 100 });
    expect(kinds(facts({ credentials: [c], usage: new Map([[1, { used_today: 7, used_this_month: 79 }]]) }))).toEqual([]);
    expect(kinds(facts({ credentials: [c], usage: new Map([[1, { used_today: 8, used_this_month: 80 }]]) }))).toEqual([
      'quota_nearly_exhausted credential:1/daily',
      'quota_nearly_exhausted credential:1/monthly',
    ]);
    const e = evaluate(facts({ credentials: [c], usage: null }));
    expect(e.findings).toEqual([]);
    expect(e.evaluated.has('quota_nearly_exhausted')).toBe(false);
  });

  it('credential_expiring: within 14 days (or past) on an active credential', () => {
    expect(kinds(facts({ credentials: [cred({ expires_at: NOW + 15 * DAY })] }))).toEqual([]);
    expect(kinds(facts({ credentials: [cred({ expires_at: NOW + 14 * DAY })] }))).toEqual(['credential_expiring credential:1']);
    expect(evaluate(facts({ credentials: [cred({ expires_at: NOW - DAY })] })).findings[0]!.severity).toBe('critical');
    expect(kinds(facts({ credentials: [cred({ expires_at: NOW + DAY, is_active: false })] }))).toEqual([]);
  });

  it('api_key_expiring: a live key within 14 days; not revoked, not already expired', () => {
    const key = { id: 3, name: 'collector A', expires_at: NOW + 2 * DAY, revoked_at: null };
    expect(kinds(facts({ apiKeys: [key] }))).toEqual(['api_key_expiring api_key:3']);
    expect(kinds(facts({ apiKeys: [{ ...key, expires_at: NOW + 30 * DAY }] }))).toEqual([]);
    expect(kinds(facts({ apiKeys: [{ ...key, revoked_at: NOW - 1 }] }))).toEqual([]);
    expect(kinds(facts({ apiKeys: [{ ...key, expires_at: NOW - 1 }] }))).toEqual([]);
  });

  it('lost_key: rows under a key id the ring does not hold', () => {
    expect(kinds(facts({ credentials: [cred(), cred({ id: 2, key_id: 'k-gone' })] }))).toEqual(['lost_key key:k-gone']);
  });

  it('rotation_stalled: a running phase unchanged for over an hour; not a resting phase; not evaluated when unreadable', () => {
    const running = { phase: 'reencrypting', run_id: 'r1', updated_at: NOW - 61 * 60_000 };
    expect(kinds(facts({ rotation: running }))).toEqual(['rotation_stalled rotation:r1']);
    expect(kinds(facts({ rotation: { ...running, updated_at: NOW - 59 * 60_000 } }))).toEqual([]);
    expect(kinds(facts({ rotation: { ...running, phase: 'failed' } }))).toEqual([]);
    expect(evaluate(facts({ rotation: null })).evaluated.has('rotation_stalled')).toBe(false);
  });
});

describe('retry schedule and destination URLs', () => {
  it('first retry within 10 s, at least three attempts in the first minute, waits grow to an hour, then give up', () => {
    const at = [0];
    for (let n = 1; n < MAX_ATTEMPTS; n++) at.push(nextAttemptAt(n, at[n - 1]!)!);
    expect(at[1]! - at[0]!).toBeLessThanOrEqual(10_000);
    expect(at.filter((t) => t < 60_000).length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...RETRY_DELAYS_MS)).toBe(3_600_000);
    for (let i = 1; i < RETRY_DELAYS_MS.length; i++) expect(RETRY_DELAYS_MS[i]!).toBeGreaterThanOrEqual(RETRY_DELAYS_MS[i - 1]!);
    expect(nextAttemptAt(MAX_ATTEMPTS, 0)).toBeNull();
  });

  it('https anywhere, http only for loopback; problems never quote the URL', () => {
    expect(checkDestinationUrl('https://hooks.slack.com/services/T0/B0/SECRETTOKEN')).toMatchObject({ ok: true, host: 'hooks.slack.com' });
    expect(checkDestinationUrl('http://127.0.0.1:8080/hook')).toMatchObject({ ok: true, host: '127.0.0.1:8080' });
    expect(checkDestinationUrl('http://localhost/hook')).toMatchObject({ ok: true });
    for (const bad of ['http://example.com/SECRETTOKEN', 'ftp://example.com/x', 'not a url SECRETTOKEN', 'https://user:SECRETTOKEN@example.com/']) {
      const r = checkDestinationUrl(bad);
      expect(r.ok, bad).toBe(false);
      expect(JSON.stringify(r)).not.toContain('SECRETTOKEN');
    }
  });
});
