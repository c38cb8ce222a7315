/**
 * Decrypt checks: they open credential rows with the real ring
 * (sealing.ts), so a row tagged with a key id it was not encrypted under, or
 * a tampered token, is caught, not just a key id missing from the ring. The
 * sample check opens the first and last row of each key id the ring holds
 * (cheap, every request); the deep check opens every row, DEEP_CHECK_PAGE
 * rows per D1 read. Read by arena health and lost-key recovery.
 */
import type { CredentialKeyRing } from '../crypto/key-ring.ts';
import { openCredential } from './sealing.ts';
import { cipherRowsPage, firstAndLastRowPerKeyId, type CipherRow } from './repository.ts';

const DEEP_CHECK_PAGE = 500;

interface FailedRow {
  id: number;
  platform: string;
  tier: string;
  key_id: string;
  reason: string;
}

interface DecryptCheck {
  checked: number;
  failed: FailedRow[];
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
