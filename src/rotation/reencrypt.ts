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

/** Decrypts every row with the key its key_id names; lists the ones that fail. */
export async function verifyRows(ring: CredentialKeyRing, rows: readonly StoredRow[]): Promise<VerifiedPage> {
  const current = ring.currentKeyId;
  const results = await Promise.all(
    rows.map((r) => ring.decrypt(r.encryptedValue, r.keyId).then(() => true, () => false)),
  );
  const undecryptableIds: number[] = [];
  let needingRotation = 0;
  rows.forEach((r, i) => {
    if (!results[i]) undecryptableIds.push(r.id);
    if (r.keyId !== current) needingRotation++;
  });
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

  /** Re-encrypts rows under the current key; rows already under it are left out. */
  async reencrypt(rows: readonly StoredRow[]): Promise<ReencryptedPage> {
    const to = this.#ring.currentKeyId;
    const results = await Promise.all(
      rows.map(async (r): Promise<RowUpdate | number | null> => {
        if (r.keyId === to) return null;
        const rotator = this.#byKeyId.get(r.keyId);
        if (!rotator) return r.id;
        try {
          const toValue = await rotator.rotate(r.encryptedValue);
          return { id: r.id, fromKeyId: r.keyId, fromValue: r.encryptedValue, toKeyId: to, toValue };
        } catch {
          return r.id;
        }
      }),
    );
    const updates: RowUpdate[] = [];
    const failedIds: number[] = [];
    for (const res of results) {
      if (typeof res === 'number') failedIds.push(res);
      else if (res) updates.push(res);
    }
    return { updates, failedIds };
  }
}
