/**
 * The reads behind arena health and /api/health: credential rows (without
 * ciphertext), rows per key id, enabled arena tiers, the pool's snapshot and
 * the decrypt checks. Thin: the verdicts are in health.ts.
 *
 * Decrypt checks open rows with the real ring (credentials/sealing.ts), so a
 * row tagged with a key id it was not encrypted under, or a tampered token,
 * is caught — not just a key id missing from the ring. The sample check opens
 * the first and last row of each key id the ring holds (cheap, every
 * request); the deep check opens every row, DEEP_CHECK_PAGE rows per D1 read.
 */
import type { Env } from '../env.ts';
import type { CredentialKeyRing } from '../crypto/key-ring.ts';
import { openCredential } from '../credentials/sealing.ts';
import { cipherRowsPage, credentialFactsRows, firstAndLastRowPerKeyId, type CipherRow } from '../credentials/repository.ts';
import { readStoredArenasConfig } from '../arenas/arenas-config.ts';
import { allArenaConfigs } from '../query-designs/store.ts';
import { pool } from '../pool/client.ts';
import type { LockStatus } from '../pool/lock-api.ts';
import type { HealthInput, HealthRow, PoolFacts } from './arenas.ts';

export const DEEP_CHECK_PAGE = 500;

export interface FailedRow {
  id: number;
  platform: string;
  tier: string;
  key_id: string;
  reason: string;
}

export interface DecryptCheck {
  checked: number;
  failed: FailedRow[];
}

/**
 * Everything arena health judges, read once: the rows, the arena tiers in
 * use, the pool's snapshot (null when unreachable) and a decrypt check
 * (`deep`: every row, else the sample). GET /api/arenas/health and the health
 * page (/admin/health) both start here.
 */
export async function loadArenaHealthInput(
  env: Pick<Env, 'DB' | 'POOL'>,
  ring: CredentialKeyRing,
  deep: boolean,
): Promise<{ input: HealthInput; poolState: Awaited<ReturnType<typeof poolFacts>>; decrypt: DecryptCheck }> {
  const [rows, enabled, poolState, decrypt] = await Promise.all([
    loadHealthRows(env.DB),
    enabledArenaTiers(env.DB),
    poolFacts(env),
    deep ? deepDecryptCheck(env.DB, ring) : sampleDecryptCheck(env.DB, ring),
  ]);
  const input: HealthInput = {
    rows,
    keyStatus: (k: string) => ring.statusOf(k),
    failedIds: new Set(decrypt.failed.map((f) => f.id)),
    pool: poolState?.facts ?? new Map(),
    locked: poolState?.lock.locked ?? false,
    enabledInDesigns: enabled,
    now: Date.now(),
  };
  return { input, poolState, decrypt };
}

export async function loadHealthRows(db: D1Database): Promise<HealthRow[]> {
  return credentialFactsRows(db);
}

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

async function check(ring: CredentialKeyRing, rows: CipherRow[], into: DecryptCheck): Promise<void> {
  const opened = await Promise.all(rows.map((r) => openCredential(ring, r.encrypted_value, r.key_id)));
  rows.forEach((r, i) => {
    const o = opened[i]!;
    if (!o.readable) into.failed.push({ id: r.id, platform: r.platform, tier: r.tier, key_id: r.key_id, reason: o.reason });
  });
  into.checked += rows.length;
}

/** Opens the first and last row under each key id the ring holds. */
export async function sampleDecryptCheck(db: D1Database, ring: CredentialKeyRing): Promise<DecryptCheck> {
  const keyIds = [ring.currentKeyId, ...ring.previousKeyIds];
  const results = await firstAndLastRowPerKeyId(db, keyIds);
  const out: DecryptCheck = { checked: 0, failed: [] };
  await check(ring, results, out);
  return out;
}

/** Opens every row (rows under a missing key fail without a decrypt attempt). */
export async function deepDecryptCheck(db: D1Database, ring: CredentialKeyRing, pageSize = DEEP_CHECK_PAGE): Promise<DecryptCheck> {
  const out: DecryptCheck = { checked: 0, failed: [] };
  let after = 0;
  for (;;) {
    const results = await cipherRowsPage(db, after, pageSize);
    if (!results.length) return out;
    await check(ring, results, out);
    after = results[results.length - 1]!.id;
  }
}
