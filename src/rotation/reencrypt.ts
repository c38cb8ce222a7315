/**
 * The cryptographic half of a rotation, pure and runtime-neutral: verify a
 * page of rows against the key ring, and re-encrypt a page under the ring's
 * current key. Re-encryption is `MultiFernet.rotate` over [current, the row's
 * own key], so the token keeps its original timestamp (as pyca's
 * `MultiFernet.rotate` does) and a row is opened only by the key its `key_id`
 * names. Nothing here logs or returns a plaintext.
 */
import type { CredentialKeyRing } from '../crypto/key-ring.ts';
import { MultiFernet, type Fernet } from '../crypto/fernet.ts';

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

export interface VerifiedPage {
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

export interface ReencryptedPage {
  updates: RowUpdate[];
  /** Rows that would not decrypt under the key their key_id names. */
  failedIds: number[];
}

/** A rotator per source key id, built once per ring. */
export class RowReencrypter {
  readonly #ring: CredentialKeyRing;
  readonly #byKeyId = new Map<string, MultiFernet>();

  constructor(ring: CredentialKeyRing) {
    this.#ring = ring;
    const members: Fernet[] = [ring.current, ...ring.previous];
    for (const f of members) {
      if (f.keyId !== ring.currentKeyId) this.#byKeyId.set(f.keyId, new MultiFernet([ring.current, f]));
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
      const rotator = this.#byKeyId.get(r.keyId);
      if (!rotator) {
        failedIds.push(r.id);
        continue;
      }
      try {
        const toValue = await rotator.rotate(r.encryptedValue);
        updates.push({ id: r.id, fromKeyId: r.keyId, fromValue: r.encryptedValue, toKeyId: to, toValue });
      } catch {
        failedIds.push(r.id);
      }
    }
    return { updates, failedIds };
  }
}
