/**
 * Rows per credential key id with the ring's verdict: the credential-key fact
 * behind /api/health, arena health and lost-key recovery. Pure; the counts
 * come from the table's owner (repository.ts rowsPerKeyId), or from rows a
 * caller has already read (`rowsPerKeyIdOf`).
 */
import * as v from 'valibot';
import type { CredentialKeyStatus } from '../crypto/key-ring.ts';
import type { Assert, Same } from '../kernel/types.ts';

/** Credential rows under one key id, with the ring's verdict (the answer's schema and type in one). */
export const KeyUsageSchema = v.object({ key_id: v.string(), status: v.picklist(['current', 'previous', 'missing']), rows: v.number() });
export type KeyUsage = v.InferOutput<typeof KeyUsageSchema>;
/** The schema's verdicts are the ring's (crypto/key-ring.ts). */
export type KeyUsageStatusIsTheRings = Assert<Same<KeyUsage['status'], CredentialKeyStatus>>;

/** Rows per key id with the ring's verdict, current first, then previous, then missing. */
export function keyUsage(rowsByKey: ReadonlyMap<string, number>, keyStatus: (keyId: string) => CredentialKeyStatus): KeyUsage[] {
  const order = { current: 0, previous: 1, missing: 2 };
  return [...rowsByKey]
    .map(([key_id, rows]) => ({ key_id, status: keyStatus(key_id), rows }))
    .sort((a, b) => order[a.status] - order[b.status] || a.key_id.localeCompare(b.key_id));
}

/** Rows per key id, counted from rows already read (repository.ts credentialFactsRows): no second query for the same facts. */
export function rowsPerKeyIdOf(rows: readonly { key_id: string }[]): Map<string, number> {
  const perKey = new Map<string, number>();
  for (const r of rows) perKey.set(r.key_id, (perKey.get(r.key_id) ?? 0) + 1);
  return perKey;
}
