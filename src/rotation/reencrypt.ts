/**
 * The cryptographic half of a rotation, pure and runtime-neutral: verify a
 * page of rows against the key ring, and re-encrypt a page under the ring's
 * current key. Re-encryption does what pyca's `MultiFernet.rotate` does (the
 * token keeps all 64 bits of its original timestamp) but opens a row only
 * with the key its `key_id` names (crypto/fernet.ts `rotateAllFrom`): trying
 * the current key first, as `MultiFernet.rotate` over [current, own key]
 * would, costs a MAC check that always fails, a fifth of the crypto work and
 * allocations of every row. A page's rows under one key go to Web Crypto
 * together (`decryptAll`, `rotateAllFrom`: one AES call for all of them, one
 * MAC call each). Nothing here logs or returns a plaintext.
 */
import type { CredentialKeyRing } from '../crypto/key-ring.ts';
import { decryptAll, rotateAllFrom } from '../crypto/fernet.ts';
import type { CipherRowUpdate } from '../credentials/cipher-rewrite.ts';

export interface StoredRow {
  id: number;
  keyId: string;
  encryptedValue: string;
}

interface VerifiedPage {
  undecryptableIds: number[];
  /** Rows not under the ring's current key. */
  needingRotation: number;
}

/** The rows of a page grouped by key id, in page order within each group. */
function byKeyId(rows: readonly StoredRow[]): Map<string, StoredRow[]> {
  const groups = new Map<string, StoredRow[]>();
  for (const r of rows) {
    const group = groups.get(r.keyId);
    if (group) group.push(r);
    else groups.set(r.keyId, [r]);
  }
  return groups;
}

/** Decrypts every row with the key its key_id names; lists the ones that fail, in page order. */
export async function verifyRows(ring: CredentialKeyRing, rows: readonly StoredRow[]): Promise<VerifiedPage> {
  const current = ring.currentKeyId;
  const failed = new Set<number>();
  let needingRotation = 0;
  for (const [keyId, group] of byKeyId(rows)) {
    if (keyId !== current) needingRotation += group.length;
    const fernet = ring.fernetFor(keyId);
    const plains = fernet
      ? await decryptAll(
          fernet,
          group.map((r) => r.encryptedValue),
        )
      : [];
    for (const [i, r] of group.entries()) if (!plains[i]) failed.add(r.id);
  }
  return { undecryptableIds: rows.filter((r) => failed.has(r.id)).map((r) => r.id), needingRotation };
}

interface ReencryptedPage {
  updates: CipherRowUpdate[];
  /** Rows that would not decrypt under the key their key_id names. */
  failedIds: number[];
}

/** A re-encrypter onto one ring's current key, from any key of the ring. */
export class RowReencrypter {
  readonly #ring: CredentialKeyRing;

  constructor(ring: CredentialKeyRing) {
    this.#ring = ring;
  }

  get targetKeyId(): string {
    return this.#ring.currentKeyId;
  }

  /** Re-encrypts rows under the current key; rows already under it are left out. Updates and failures in page order. */
  async reencrypt(rows: readonly StoredRow[]): Promise<ReencryptedPage> {
    const to = this.#ring.currentKeyId;
    const sealed = new Map<number, string | null>();
    for (const [keyId, group] of byKeyId(rows)) {
      if (keyId === to) continue;
      const from = this.#ring.fernetFor(keyId);
      const tokens = from
        ? await rotateAllFrom(
            from,
            this.#ring.current,
            group.map((r) => r.encryptedValue),
          )
        : [];
      for (const [i, r] of group.entries()) sealed.set(r.id, tokens[i] ?? null);
    }
    const updates: CipherRowUpdate[] = [];
    const failedIds: number[] = [];
    for (const r of rows) {
      if (r.keyId === to) continue;
      const toValue = sealed.get(r.id);
      if (toValue) updates.push({ id: r.id, fromKeyId: r.keyId, fromValue: r.encryptedValue, toKeyId: to, toValue });
      else failedIds.push(r.id);
    }
    return { updates, failedIds };
  }
}
