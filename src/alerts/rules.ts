/**
 * The alert rules, pure: from the facts a check gathered (alerts/check.ts),
 * which alerts should be open now. No D1, no Durable Object, no clock: `now`
 * comes in with the facts.
 *
 * A kind whose facts could not be read (the pool object or the rotation
 * object unreachable) is left out of `evaluated`, so the store keeps its
 * open alerts instead of resolving them (not knowing is not "all clear").
 */
import { platformsForArena, type Tier } from '../arenas/registry.ts';
import type { CredentialKeyStatus } from '../crypto/key-ring.ts';

export const ALERT_KINDS = [
  'credential_deactivated',
  'no_credential_available',
  'quota_nearly_exhausted',
  'credential_expiring',
  'api_key_expiring',
  'lost_key',
  'rotation_stalled',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export type Severity = 'warning' | 'critical';

/** An alert that should be open: `subject` names what it is about (with `kind`, its identity). */
export interface Finding {
  kind: AlertKind;
  subject: string;
  severity: Severity;
  /** One sentence for people: ids, names, counts and dates, never a value. */
  summary: string;
}

export const QUOTA_WARNING_RATIO = 0.8;
export const EXPIRY_WARNING_MS = 14 * 86_400_000;
export const ROTATION_STALLED_MS = 60 * 60_000;

export interface CredentialFact {
  id: number;
  platform: string;
  tier: string;
  key_id: string;
  is_active: number | boolean;
  daily_quota: number | null;
  monthly_quota: number | null;
  /** The held token's expiry (unix ms, migration 0070), or null. */
  expires_at: number | null;
}

export interface ApiKeyFact {
  id: number;
  name: string;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface RotationFact {
  phase: string;
  run_id: string | null;
  /** When the phase (or its progress) last changed, unix ms. */
  updated_at: number | null;
}

export interface CheckFacts {
  now: number;
  credentials: readonly CredentialFact[];
  /** Credentials the pool deactivated after auth failures (its `credential.deactivate` audit events). */
  deactivatedByPool: ReadonlySet<number>;
  /** Credentials whose latest live check with the provider (checks/, daily or by hand) said auth_failed: id → when. */
  refusedByProvider: ReadonlyMap<number, number>;
  keyStatus: (keyId: string) => CredentialKeyStatus;
  /** `arena:tier` enabled in at least one query design. */
  enabledArenaTiers: ReadonlySet<string>;
  /** The pool's counters by credential id; null when the pool object could not be read. */
  usage: ReadonlyMap<number, { used_today: number; used_this_month: number }> | null;
  apiKeys: readonly ApiKeyFact[];
  /** The rotation's status; null when the rotation object could not be read. */
  rotation: RotationFact | null;
}

export interface Evaluation {
  findings: Finding[];
  /** The kinds whose facts were all read: only their open alerts may be resolved. */
  evaluated: Set<AlertKind>;
}

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Rotation phases that end a run: nothing can stall in them. */
const RESTING_PHASES = new Set(['idle', 'done', 'failed', 'aborted']);

export function evaluate(f: CheckFacts): Evaluation {
  const findings: Finding[] = [];
  const evaluated = new Set<AlertKind>(ALERT_KINDS);
  const readable = (c: CredentialFact) => f.keyStatus(c.key_id) !== 'missing';

  for (const c of f.credentials) {
    if (!c.is_active && f.deactivatedByPool.has(c.id)) {
      findings.push({
        kind: 'credential_deactivated',
        subject: `credential:${c.id}`,
        severity: 'warning',
        summary: `Credential ${c.id} (${c.platform}/${c.tier}) was deactivated by the pool after repeated auth failures.`,
      });
    } else if (c.is_active && f.refusedByProvider.has(c.id)) {
      // The daily live check (or "check with provider") feeds the same kind: the
      // provider refuses a key that collectors have not yet worn out.
      findings.push({
        kind: 'credential_deactivated',
        subject: `credential:${c.id}`,
        severity: 'warning',
        summary: `The provider refused credential ${c.id} (${c.platform}/${c.tier}) in its live check on ${day(f.refusedByProvider.get(c.id)!)}; collectors will fail with it until it is replaced.`,
      });
    }
    if (c.is_active && c.expires_at !== null && c.expires_at - f.now <= EXPIRY_WARNING_MS) {
      findings.push({
        kind: 'credential_expiring',
        subject: `credential:${c.id}`,
        severity: c.expires_at <= f.now ? 'critical' : 'warning',
        summary: `The token of credential ${c.id} (${c.platform}/${c.tier}) ${c.expires_at <= f.now ? 'expired' : 'expires'} on ${day(c.expires_at)}.`,
      });
    }
  }

  // A platform/tier an enabled arena needs, with no active credential under a key in the ring.
  const usable = new Set(f.credentials.filter((c) => c.is_active && readable(c)).map((c) => `${c.platform}/${c.tier}`));
  const needed = new Map<string, string[]>();
  for (const at of f.enabledArenaTiers) {
    const [arena, tier] = at.split(':') as [string, Tier];
    for (const p of platformsForArena(arena, tier)) needed.set(`${p}/${tier}`, [...(needed.get(`${p}/${tier}`) ?? []), arena]);
  }
  for (const [pt, arenas] of [...needed].sort(([a], [b]) => a.localeCompare(b))) {
    if (usable.has(pt)) continue;
    findings.push({
      kind: 'no_credential_available',
      subject: pt,
      severity: 'critical',
      summary: `No usable credential for ${pt}, which enabled arenas need (${[...new Set(arenas)].sort().join(', ')}).`,
    });
  }

  if (f.usage === null) evaluated.delete('quota_nearly_exhausted');
  else {
    for (const c of f.credentials) {
      const u = f.usage.get(c.id);
      if (!c.is_active || !u) continue;
      for (const [period, quota, used] of [
        ['daily', c.daily_quota, u.used_today],
        ['monthly', c.monthly_quota, u.used_this_month],
      ] as const) {
        if (quota === null || quota <= 0 || used < QUOTA_WARNING_RATIO * quota) continue;
        findings.push({
          kind: 'quota_nearly_exhausted',
          subject: `credential:${c.id}/${period}`,
          severity: used >= quota ? 'critical' : 'warning',
          summary: `Credential ${c.id} (${c.platform}/${c.tier}) has used ${used} of its ${period} quota of ${quota}.`,
        });
      }
    }
  }

  for (const k of f.apiKeys) {
    if (k.revoked_at !== null || k.expires_at === null) continue;
    // An expired key is already refused; the alert is for the two weeks before.
    if (k.expires_at <= f.now || k.expires_at - f.now > EXPIRY_WARNING_MS) continue;
    findings.push({
      kind: 'api_key_expiring',
      subject: `api_key:${k.id}`,
      severity: 'warning',
      summary: `API key ${k.id} (${k.name}) expires on ${day(k.expires_at)}.`,
    });
  }

  const lost = new Map<string, number>();
  for (const c of f.credentials) if (!readable(c)) lost.set(c.key_id, (lost.get(c.key_id) ?? 0) + 1);
  for (const [keyId, rows] of lost) {
    findings.push({
      kind: 'lost_key',
      subject: `key:${keyId}`,
      severity: 'critical',
      summary: `${rows} credential${rows === 1 ? ' is' : 's are'} encrypted under key ${keyId}, which is not in the key ring (see /admin/recovery).`,
    });
  }

  if (f.rotation === null) evaluated.delete('rotation_stalled');
  else {
    const r = f.rotation;
    if (!RESTING_PHASES.has(r.phase) && r.updated_at !== null && f.now - r.updated_at > ROTATION_STALLED_MS) {
      findings.push({
        kind: 'rotation_stalled',
        subject: `rotation:${r.run_id ?? 'current'}`,
        severity: 'critical',
        summary: `The credential-key rotation has been in phase ${r.phase} since ${new Date(r.updated_at).toISOString()} (over an hour; collection stays paused).`,
      });
    }
  }
  return { findings, evaluated };
}
