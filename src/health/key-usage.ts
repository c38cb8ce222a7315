/**
 * The credential-key facts /api/health adds: rows per key id with the ring's
 * verdict, whether previous keys are still needed (and by how many rows), the
 * key ids missing from the ring, and the collection lock. Never a key.
 */
import type { Env } from '../env.ts';
import type { CredentialKeyRing } from '../crypto/key-ring.ts';
import { keyUsage, type KeyUsage } from '../credentials/key-usage.ts';
import { rowsPerKeyId } from '../credentials/repository.ts';
import { pool } from '../pool/client.ts';

export interface CredentialRowsByKey {
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
