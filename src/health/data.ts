/**
 * The reads behind arena health and /api/health: enabled arena tiers, the
 * pool's snapshot and lock, and the credential rows per key id with the
 * ring's verdict (whether previous keys are still needed, which key ids are
 * missing). Thin: the verdicts are in arenas.ts; the rows come from their
 * owner (credentials/repository.ts), the decrypt checks from
 * credentials/decrypt-check.ts. Never a key.
 */
import type { Env } from '../env.ts';
import type { CredentialKeyRing } from '../crypto/key-ring.ts';
import { keyUsage, type KeyUsage } from '../credentials/key-usage.ts';
import { rowsPerKeyId } from '../credentials/repository.ts';
import { readStoredArenasConfig } from '../arenas/arenas-config.ts';
import { allArenaConfigs } from '../query-designs/store.ts';
import { pool } from '../pool/client.ts';
import type { LockStatus } from '../pool/lock-api.ts';
import type { PoolFacts } from './arenas.ts';

/** `arena:tier` for every arena enabled in at least one query design. */
export async function enabledArenaTiers(db: D1Database): Promise<Set<string>> {
  const results = await allArenaConfigs(db);
  const out = new Set<string>();
  for (const r of results) for (const a of readStoredArenasConfig(r.arenas_config).arenas) if (a.enabled) out.add(`${a.id}:${a.tier}`);
  return out;
}

/** The pool's lock and per-credential facts, or null when the pool object cannot be reached. */
export async function poolFacts(env: Pick<Env, 'POOL'>): Promise<{ lock: LockStatus; facts: Map<number, PoolFacts> } | null> {
  try {
    const snap = await pool(env).snapshot();
    return { lock: snap.lock, facts: new Map(snap.credentials.map((c) => [c.credential_id, c])) };
  } catch {
    return null;
  }
}

interface CredentialRowsByKey {
  total: number;
  by_key: KeyUsage[];
  previous_keys_needed: { needed: boolean; rows: number; key_ids: string[] };
  missing_keys: { key_id: string; rows: number }[];
}

export async function credentialRowsByKey(db: D1Database, ring: CredentialKeyRing): Promise<CredentialRowsByKey | null> {
  let perKey: Map<string, number>;
  try {
    perKey = await rowsPerKeyId(db);
  } catch {
    return null; // tables not migrated yet: the rest of health still answers
  }
  const usage = keyUsage(perKey, (k) => ring.statusOf(k));
  const previous = usage.filter((u) => u.status === 'previous');
  return {
    total: usage.reduce((n, u) => n + u.rows, 0),
    by_key: usage,
    previous_keys_needed: { needed: previous.length > 0, rows: previous.reduce((n, u) => n + u.rows, 0), key_ids: previous.map((u) => u.key_id) },
    missing_keys: usage.filter((u) => u.status === 'missing').map((u) => ({ key_id: u.key_id, rows: u.rows })),
  };
}

export async function lockState(env: Pick<Env, 'POOL'>): Promise<{ locked: boolean; since: string | null; outstanding_leases: number } | null> {
  try {
    const s = await pool(env).lockStatus();
    return { locked: s.locked, since: s.since === null ? null : new Date(s.since).toISOString(), outstanding_leases: s.outstandingLeases };
  } catch {
    return null;
  }
}
