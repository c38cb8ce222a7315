/**
 * Key rings for the two master secrets. The current key encrypts or signs;
 * the current and previous keys decrypt or verify. Every key is known by its
 * key id (see key-id.ts), so a row or a JWT names the key it needs and the
 * vault can tell "key missing" from "ciphertext tampered".
 */
import { VaultError } from '../errors.ts';
import { Fernet, InvalidToken } from './fernet.ts';
import { utf8 } from './encoding.ts';
import { keyIdOf } from './key-id.ts';

export type CredentialKeyStatus = 'current' | 'previous' | 'missing';

export class CredentialKeyRing {
  readonly current: Fernet;
  readonly previous: readonly Fernet[];
  readonly #byId: Map<string, Fernet>;

  constructor(current: Fernet, previous: Fernet[] = []) {
    this.current = current;
    this.previous = previous;
    this.#byId = new Map([current, ...previous].map((f) => [f.keyId, f]));
  }

  static async fromKeys(current: string, previous: string[] = []): Promise<CredentialKeyRing> {
    const [cur, ...prev] = await Promise.all([current, ...previous].map((k) => Fernet.fromKey(k)));
    return new CredentialKeyRing(cur!, prev);
  }

  get currentKeyId(): string {
    return this.current.keyId;
  }

  get previousKeyIds(): string[] {
    return this.previous.map((f) => f.keyId);
  }

  statusOf(keyId: string): CredentialKeyStatus {
    if (keyId === this.current.keyId) return 'current';
    return this.#byId.has(keyId) ? 'previous' : 'missing';
  }

  /** The key with this id, current or previous; undefined when the ring lacks it. */
  fernetFor(keyId: string): Fernet | undefined {
    return this.#byId.get(keyId);
  }

  /** Encrypts under the current key and says which key that was. */
  async encrypt(plaintext: Uint8Array | string): Promise<{ token: string; keyId: string }> {
    return { token: await this.current.encrypt(plaintext), keyId: this.current.keyId };
  }

  /**
   * Decrypts a token stored with `keyId`. Throws `KEY_MISSING` when the ring
   * lacks that key and `UNDECRYPTABLE` when the key is there but the token does
   * not authenticate (tampered, or tagged with the wrong key id).
   */
  async decrypt(token: string, keyId: string): Promise<Uint8Array> {
    const fernet = this.fernetFor(keyId);
    if (!fernet) {
      throw new VaultError('KEY_MISSING', `This credential is encrypted under key ${keyId}, which is not in the key ring.`, {
        details: { key_id: keyId },
      });
    }
    try {
      return await fernet.decrypt(token);
    } catch (e) {
      if (e instanceof InvalidToken) {
        throw new VaultError('UNDECRYPTABLE', `This credential does not decrypt under its key ${keyId}.`, {
          details: { key_id: keyId },
        });
      }
      throw e;
    }
  }
}

interface SigningKey {
  readonly kid: string;
  readonly secret: Uint8Array;
}

/** JWT signing secrets (HS256). `current` signs; `current` and `previous` verify. */
export class SigningKeyRing {
  readonly current: SigningKey;
  readonly previous: readonly SigningKey[];
  readonly #byKid: Map<string, SigningKey>;

  constructor(current: string, previous: string[] = []) {
    const toKey = (s: string): SigningKey => {
      const secret = utf8.encode(s);
      return { kid: keyIdOf(secret), secret };
    };
    this.current = toKey(current);
    this.previous = previous.map(toKey);
    this.#byKid = new Map([this.current, ...this.previous].map((k) => [k.kid, k]));
  }

  /** The verification key for a JWT header's `kid`, or undefined. */
  keyFor(kid: string | undefined): SigningKey | undefined {
    return kid === undefined ? undefined : this.#byKid.get(kid);
  }

  get kids(): string[] {
    return [...this.#byKid.keys()];
  }
}
