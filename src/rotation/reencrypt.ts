/**
 * The cryptographic half of a rotation, pure and runtime-neutral: verify a
 * page of rows against the key ring, and re-encrypt a page under the ring's
 * current key. Re-encryption does what pyca's `MultiFernet.rotate` does (the
 * token keeps all 64 bits of its original timestamp) but opens a row only
 * with the key its `key_id` names (crypto/fernet.ts `rotateFrom`): trying the
 * current key first, as `MultiFernet.rotate` over [current, own key] would,
 * costs a MAC check that always fails, a fifth of the crypto work and
 * allocations of every row. Nothing here logs or returns
 * a plaintext.
 */
import type { CredentialKeyRing } from '../crypto/key-ring.ts';
import { rotateFrom, type Fernet } from '../crypto/fernet.ts';

export interface StoredRow {
  id: number;
  keyId: string;
  encryptedValue: string;
}

/** A compare-and-set update: applies only if the row still holds `from`. */
export interface RowUpdate {
  id: number;
  fromKeyId: string;
  fromValue: string;
  toKeyId: string;
  toValue: string;
}

interface VerifiedPage {
  undecryptableIds: number[];
  /** Rows not under the ring's current key. */
  needingRotation: number;
}

/**
 * Decrypts every row with the key its key_id names; lists the ones that fail.
 * One row at a time: Web Crypto calls resolve almost at once in workerd, and
 * awaiting them in turn measured faster (and lighter on memory) than racing
 * hundreds of them with Promise.all.
 */
export async function verifyRows(ring: CredentialKeyRing, rows: readonly StoredRow[]): Promise<VerifiedPage> {
  const current = ring.currentKeyId;
  const undecryptableIds: number[] = [];
  let needingRotation = 0;
  for (const r of rows) {
    try {
      await ring.decrypt(r.encryptedValue, r.keyId);
    } catch {
      undecryptableIds.push(r.id);
    }
    if (r.keyId !== current) needingRotation++;
  }
  return { undecryptableIds, needingRotation };
}

interface ReencryptedPage {
  updates: RowUpdate[];
  /** Rows that would not decrypt under the key their key_id names. */
  failedIds: number[];
}

/** A re-encrypter for every previous key of one ring, built once per ring. */
export class RowReencrypter {
  readonly #ring: CredentialKeyRing;
  readonly #byKeyId = new Map<string, Fernet>();

  constructor(ring: CredentialKeyRing) {
    this.#ring = ring;
    for (const f of ring.previous) {
      if (f.keyId !== ring.currentKeyId) this.#byKeyId.set(f.keyId, f);
    }
  }

  get targetKeyId(): string {
    return this.#ring.currentKeyId;
  }

  /** Re-encrypts rows under the current key (one at a time, see verifyRows); rows already under it are left out. */
  async reencrypt(rows: readonly StoredRow[]): Promise<ReencryptedPage> {
    const to = this.#ring.currentKeyId;
    const updates: RowUpdate[] = [];
    const failedIds: number[] = [];
    for (const r of rows) {
      if (r.keyId === to) continue;
      const from = this.#byKeyId.get(r.keyId);
      if (!from) {
        failedIds.push(r.id);
        continue;
      }
      try {
        const toValue = await rotateFrom(from, this.#ring.current, r.encryptedValue);
        updates.push({ id: r.id, fromKeyId: r.keyId, fromValue: r.encryptedValue, toKeyId: to, toValue });
      } catch {
        failedIds.push(r.id);
      }
    }
    return { updates, failedIds };
  }
}
