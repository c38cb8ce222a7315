/**
 * Rows per credential key id with the ring's verdict: the credential-key fact
 * behind /api/health, arena health and lost-key recovery. Pure; the counts
 * come from the table's owner (repository.ts rowsPerKeyId).
 */
import type { CredentialKeyStatus } from '../crypto/key-ring.ts';

export interface KeyUsage {
  key_id: string;
  status: CredentialKeyStatus;
  rows: number;
}

/** Rows per key id with the ring's verdict, current first, then previous, then missing. */
export function keyUsage(rowsByKey: ReadonlyMap<string, number>, keyStatus: (keyId: string) => CredentialKeyStatus): KeyUsage[] {
  const order = { current: 0, previous: 1, missing: 2 };
  return [...rowsByKey]
    .map(([key_id, rows]) => ({ key_id, status: keyStatus(key_id), rows }))
    .sort((a, b) => order[a.status] - order[b.status] || a.key_id.localeCompare(b.key_id));
}
