/**
 * Arena health, as a pure function of the credential rows, what the key ring
 * says about their key ids, which rows failed a decrypt check, the pool's
 * snapshot and which arena tiers query designs use. Every arena and tier of
 * the registry gets a status:
 *
 *   no_credentials_needed  the tier draws on no platform (gdelt, rss_feeds, …)
 *   error                  some platform it needs has no active, readable credential
 *   degraded               it can collect in principle, but not right now (all cooling
 *                          down, leased or over quota), or some of its rows are unreadable
 *   ok                     otherwise
 *
 * "Readable" means the row's key id is in the ring and, where checked, it
 * decrypts. `overall` is the worst status among tiers in use (enabled in a
 * query design, or with credentials configured); a held collection lock makes
 * it at least `degraded`.
 */
import { ARENA_IDS, ARENAS, arenaTiers, platformsForArena } from '../arenas/registry.ts';
import { blockReason, DEFAULT_MAX_LEASES, FRESH_STATE, quotaExhausted, type PoolCandidate } from '../pool/lease-rules.ts';
import type { CredentialKeyStatus } from '../crypto/key-ring.ts';
import type { CredentialFactsRow } from '../credentials/repository.ts';
import type { ArenaStatus, ArenaTierHealth, CredentialCounts, OverallStatus } from './schemas.ts';

export interface PoolFacts {
  cooldown_until: number | null;
  /** Live leases of both modes (exclusive and shared): `leased` counts a row with any. */
  leases: number;
  /** Live leases that count against max_leases (absent: all of them). Shared leases do not block a row. */
  limiting_leases?: number;
  used_today: number;
  used_this_month: number;
}

export interface HealthInput {
  rows: readonly CredentialFactsRow[];
  keyStatus: (keyId: string) => CredentialKeyStatus;
  /** Rows whose key is in the ring but which failed a decrypt check. */
  failedIds: ReadonlySet<number>;
  pool: ReadonlyMap<number, PoolFacts>;
  locked: boolean;
  /** `arena:tier` keys enabled in at least one query design. */
  enabledInDesigns: ReadonlySet<string>;
  now: number;
}

const RANK: Record<ArenaStatus, number> = { no_credentials_needed: 0, ok: 0, degraded: 1, error: 2 };

type RowClass = {
  active: boolean;
  readable: boolean;
  key: 'current' | 'previous' | 'undecryptable';
  cooling: boolean;
  overQuota: boolean;
  leased: boolean;
  usable: boolean;
};

/** The row as the pool's chooser sees it, so "usable now" is the pool's own rule (lease-rules.ts blockReason). */
function asCandidate(r: CredentialFactsRow, input: HealthInput): PoolCandidate {
  const p = input.pool.get(r.id);
  return {
    id: r.id,
    isActive: Boolean(r.is_active),
    keyAvailable: input.keyStatus(r.key_id) !== 'missing',
    undecryptable: input.failedIds.has(r.id),
    maxLeases: r.max_leases ?? DEFAULT_MAX_LEASES,
    dailyQuota: r.daily_quota,
    monthlyQuota: r.monthly_quota,
    lastUsedAt: null,
    state: { ...FRESH_STATE, cooldownUntil: p?.cooldown_until ?? null },
    activeLeases: p?.leases ?? 0,
    exclusiveLeases: p?.limiting_leases ?? p?.leases ?? 0,
    earliestLeaseExpiry: null,
    usedToday: p?.used_today ?? 0,
    usedThisMonth: p?.used_this_month ?? 0,
  };
}

function classify(r: CredentialFactsRow, input: HealthInput): RowClass {
  const ks = input.keyStatus(r.key_id);
  const key = ks === 'missing' || input.failedIds.has(r.id) ? 'undecryptable' : ks;
  const candidate = asCandidate(r, input);
  return {
    active: candidate.isActive,
    readable: key !== 'undecryptable',
    key,
    // Counted apart from `usable`: a cooling row may also be over quota or unreadable.
    cooling: candidate.isActive && (candidate.state.cooldownUntil ?? 0) > input.now,
    overQuota: candidate.isActive && quotaExhausted(candidate),
    leased: candidate.activeLeases > 0,
    usable: blockReason(candidate, input.now) === null,
  };
}

type Classified = { row: CredentialFactsRow; cls: RowClass };

function byPlatformTierOf(input: HealthInput): Map<string, Classified[]> {
  const byPlatformTier = new Map<string, Classified[]>();
  for (const row of input.rows) {
    const k = `${row.platform}:${row.tier}`;
    if (!byPlatformTier.has(k)) byPlatformTier.set(k, []);
    byPlatformTier.get(k)!.push({ row, cls: classify(row, input) });
  }
  return byPlatformTier;
}

function countsOf(entries: readonly Classified[]): CredentialCounts {
  return {
    total: entries.length,
    active: entries.filter((e) => e.cls.active).length,
    usable_now: entries.filter((e) => e.cls.usable).length,
    cooling_down: entries.filter((e) => e.cls.cooling).length,
    quota_exhausted: entries.filter((e) => e.cls.overQuota).length,
    leased: entries.filter((e) => e.cls.leased).length,
    current_key: entries.filter((e) => e.cls.key === 'current').length,
    previous_key: entries.filter((e) => e.cls.key === 'previous').length,
    undecryptable: entries.filter((e) => e.cls.key === 'undecryptable').length,
  };
}

/** The same counts per platform and tier that has credentials (the health page), ordered by platform, tier. */
export function platformTierCounts(input: HealthInput): { platform: string; tier: string; credentials: CredentialCounts; ids: number[] }[] {
  return [...byPlatformTierOf(input).entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, entries]) => {
      const [platform, tier] = k.split(':') as [string, string];
      return { platform, tier, credentials: countsOf(entries), ids: entries.map((e) => e.row.id) };
    });
}

/** Health per arena and tier, plus the overall status. */
export function arenaHealth(input: HealthInput): { overall: OverallStatus; arenas: ArenaTierHealth[] } {
  const byPlatformTier = byPlatformTierOf(input);

  const arenas: ArenaTierHealth[] = [];
  let worst = 0;
  for (const id of ARENA_IDS) {
    for (const tier of arenaTiers(id)) {
      const platforms = [...platformsForArena(id, tier)];
      const entries = platforms.flatMap((p) => byPlatformTier.get(`${p}:${tier}`) ?? []);
      const counts = countsOf(entries);
      let status: ArenaStatus = 'no_credentials_needed';
      if (platforms.length) {
        const perPlatform = platforms.map((p) => byPlatformTier.get(`${p}:${tier}`) ?? []);
        if (perPlatform.some((es) => !es.some((e) => e.cls.active && e.cls.readable))) status = 'error';
        else if (perPlatform.some((es) => !es.some((e) => e.cls.usable)) || counts.undecryptable > 0) status = 'degraded';
        else status = 'ok';
      }
      const inUse = input.enabledInDesigns.has(`${id}:${tier}`) || counts.total > 0;
      if (inUse) worst = Math.max(worst, RANK[status]);
      arenas.push({
        arena: id,
        label: ARENAS[id].label,
        tier,
        platforms,
        status,
        in_use: inUse,
        locked: input.locked,
        credentials: counts,
        undecryptable_ids: entries.filter((e) => e.cls.key === 'undecryptable').map((e) => e.row.id),
      });
    }
  }
  if (input.locked) worst = Math.max(worst, RANK.degraded);
  const overall: OverallStatus = worst === 2 ? 'error' : worst === 1 ? 'degraded' : 'ok';
  return { overall, arenas };
}
