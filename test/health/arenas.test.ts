import { describe, expect, it } from 'vitest';
import { arenaHealth, platformTierCounts, type HealthInput } from '../../src/health/arenas.ts';
import type { CredentialFactsRow as HealthRow } from '../../src/credentials/repository.ts';
import { keyUsage, rowsPerKeyIdOf } from '../../src/credentials/key-usage.ts';

const NOW = 1_800_000_000_000;
const row = (id: number, over: Partial<HealthRow> = {}): HealthRow => ({
  id,
  platform: 'serper',
  tier: 'medium',
  credential_name: `row ${id}`,
  key_id: 'cur',
  is_active: 1,
  daily_quota: null,
  monthly_quota: null,
  max_leases: 1,
  expires_at: null,
  ...over,
});
function input(over: Partial<HealthInput>): HealthInput {
  return {
    rows: [],
    keyStatus: (k) => (k === 'cur' ? 'current' : k === 'old' ? 'previous' : 'missing'),
    failedIds: new Set(),
    pool: new Map(),
    locked: false,
    enabledInDesigns: new Set(),
    now: NOW,
    ...over,
  };
}
const gs = (r: ReturnType<typeof arenaHealth>) => r.arenas.find((a) => a.arena === 'google_search' && a.tier === 'medium')!;

describe('arenaHealth', () => {
  it('is ok on a fresh vault: unused tiers without credentials do not count towards overall', () => {
    const r = arenaHealth(input({}));
    expect(r.overall).toBe('ok');
    expect(gs(r)).toMatchObject({ status: 'error', in_use: false });
  });

  it('is error for an enabled tier without a readable active credential, degraded when none is usable right now', () => {
    const enabled = new Set(['google_search:medium']);
    expect(arenaHealth(input({ enabledInDesigns: enabled })).overall).toBe('error');
    expect(gs(arenaHealth(input({ rows: [row(1, { key_id: 'gone' })] }))).status).toBe('error');
    expect(gs(arenaHealth(input({ rows: [row(1, { is_active: 0 })] }))).status).toBe('error');
    const over = arenaHealth(
      input({ rows: [row(1, { daily_quota: 3 })], pool: new Map([[1, { cooldown_until: null, leases: 0, used_today: 3, used_this_month: 3 }]]) }),
    );
    expect(gs(over)).toMatchObject({ status: 'degraded', credentials: { usable_now: 0 } });
    expect(over.overall).toBe('degraded');
    const cooled = arenaHealth(input({ rows: [row(1)], pool: new Map([[1, { cooldown_until: NOW + 1, leases: 0, used_today: 0, used_this_month: 0 }]]) }));
    expect(gs(cooled).credentials.cooling_down).toBe(1);
    const expired = arenaHealth(input({ rows: [row(1)], pool: new Map([[1, { cooldown_until: NOW, leases: 0, used_today: 0, used_this_month: 0 }]]) }));
    expect(gs(expired)).toMatchObject({ status: 'ok', credentials: { cooling_down: 0, usable_now: 1 } });
  });

  it('counts keys: current, previous, and undecryptable (missing key or failed check); a lock degrades overall', () => {
    const r = arenaHealth(input({ rows: [row(1), row(2, { key_id: 'old' }), row(3, { key_id: 'gone' }), row(4)], failedIds: new Set([4]) }));
    expect(gs(r)).toMatchObject({
      status: 'degraded',
      credentials: { current_key: 1, previous_key: 1, undecryptable: 2, usable_now: 2 },
      undecryptable_ids: [3, 4],
    });
    expect(arenaHealth(input({ rows: [row(1)], locked: true })).overall).toBe('degraded');
  });
});

describe('platformTierCounts (the health page)', () => {
  it('counts per platform/tier, with quota-exhausted rows (daily or monthly) apart from cooling-down ones', () => {
    const rows = [row(1, { daily_quota: 10 }), row(2, { monthly_quota: 100 }), row(3), row(4, { platform: 'youtube', tier: 'free' })];
    const pool = new Map([
      [1, { cooldown_until: null, leases: 0, used_today: 10, used_this_month: 10 }],
      [2, { cooldown_until: null, leases: 1, used_today: 1, used_this_month: 100 }],
      [3, { cooldown_until: NOW + 60_000, leases: 0, used_today: 0, used_this_month: 0 }],
    ]);
    const groups = platformTierCounts(input({ rows, pool }));
    expect(groups.map((g) => [g.platform, g.tier, g.ids])).toEqual([
      ['serper', 'medium', [1, 2, 3]],
      ['youtube', 'free', [4]],
    ]);
    expect(groups[0]!.credentials).toMatchObject({ active: 3, usable_now: 0, leased: 1, cooling_down: 1, quota_exhausted: 2 });
    expect(groups[1]!.credentials).toMatchObject({ active: 1, usable_now: 1, quota_exhausted: 0 });
  });
});

describe('rows per key id, from rows already read', () => {
  it('counts each key id once per row, and keyUsage orders them current, previous, missing', () => {
    const rows = [row(1), row(2, { key_id: 'gone' }), row(3, { key_id: 'old' }), row(4), row(5, { key_id: 'gone' })];
    expect(rowsPerKeyIdOf(rows)).toEqual(
      new Map([
        ['cur', 2],
        ['gone', 2],
        ['old', 1],
      ]),
    );
    expect(keyUsage(rowsPerKeyIdOf(rows), input({}).keyStatus)).toEqual([
      { key_id: 'cur', status: 'current', rows: 2 },
      { key_id: 'old', status: 'previous', rows: 1 },
      { key_id: 'gone', status: 'missing', rows: 2 },
    ]);
    expect(rowsPerKeyIdOf([])).toEqual(new Map());
  });
});
