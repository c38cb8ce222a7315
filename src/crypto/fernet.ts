/**
 * Fernet (spec: https://github.com/fernet/spec/blob/master/Spec.md), byte-for-byte
 * compatible with Python's `cryptography.fernet`, on Web Crypto only
 * (AES-128-CBC + HMAC-SHA256 through `crypto.subtle`). Runtime-neutral: it runs
 * unchanged in workerd, Deno and Node >= 20.
 *
 * token = base64url(0x80 ‖ timestamp(u64 BE) ‖ IV(16) ‖ AES-128-CBC(PKCS7(msg)) ‖ HMAC-SHA256)
 *
 * Decryption follows pyca: strict base64url, version byte, TTL and clock-skew
 * checks (when a TTL is given), then a constant-time MAC check
 * (`crypto.subtle.verify`), then decrypt and unpad. Every way a token can be
 * bad surfaces as `InvalidToken` and nothing else.
 *
 * @example
 *   const f = await Fernet.fromKey(Fernet.generateKey());
 *   const token = await f.encrypt('{"api_key":"..."}');
 *   const bytes = await f.decrypt(token);
 */
import { base64urlDecode, base64urlEncode, utf8 } from './encoding.ts';
import { keyIdOf } from './key-id.ts';

const VERSION = 0x80;
const MAX_CLOCK_SKEW = 60;
const HEADER = 1 + 8 + 16; // version, timestamp, iv
const MAC = 32;
const BLOCK = 16;
const MIN_TOKEN = HEADER + BLOCK + MAC;

/** The only error `decrypt`, `rotate` and `extractTimestamp` throw for a bad token. */
export class InvalidToken extends Error {
  constructor() {
    super('Invalid Fernet token');
    this.name = 'InvalidToken';
  }
}

/** A malformed Fernet key: thrown by `Fernet.fromKey`, never `InvalidToken`. */
export class InvalidFernetKey extends Error {
  constructor(reason: string) {
    super(`Invalid Fernet key: ${reason}. A Fernet key is 32 random bytes, url-safe base64 encoded (44 characters).`);
    this.name = 'InvalidFernetKey';
  }
}

interface DecryptOptions {
  /** Maximum token age in seconds; omitted = no age check (as in pyca). */
  ttl?: number;
  /** Current time, unix seconds (for tests); defaults to the clock. */
  now?: number;
}

type Bytes = Uint8Array<ArrayBuffer>;

function toBytes(data: Uint8Array | string): Uint8Array {
  if (typeof data === 'string') return utf8.encode(data);
  if (data instanceof Uint8Array) return data;
  throw new TypeError('data must be a Uint8Array or a string');
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Decoded and structurally valid token bytes, or InvalidToken. */
function decodeToken(token: unknown): Bytes {
  if (typeof token !== 'string') throw new InvalidToken();
  const data = base64urlDecode(token) as Bytes | null;
  if (!data || data.length < MIN_TOKEN || data[0] !== VERSION) throw new InvalidToken();
  if ((data.length - HEADER - MAC) % BLOCK !== 0) throw new InvalidToken();
  return data;
}

/**
 * The 64-bit timestamp as two 32-bit halves. Kept apart so that rotation
 * copies all 64 bits exactly; a JS number is exact only below 2^53.
 */
interface Stamp {
  high: number;
  low: number;
}

function readStamp(data: Uint8Array): Stamp {
  const view = new DataView(data.buffer, data.byteOffset, 9);
  return { high: view.getUint32(1), low: view.getUint32(5) };
}

/** Seconds; above 2^53 (only forged or far-future tokens) the nearest double. */
function stampSeconds({ high, low }: Stamp): number {
  return high * 2 ** 32 + low;
}

function checkTime(timestamp: number, opts?: DecryptOptions): void {
  if (opts?.ttl === undefined) return;
  const now = opts.now ?? nowSeconds();
  if (timestamp + opts.ttl < now) throw new InvalidToken();
  if (now + MAX_CLOCK_SKEW < timestamp) throw new InvalidToken();
}

// Module-private access to a Fernet's sealing and opening, for MultiFernet:
// assigned in Fernet's static block, so the keys never leave this module and
// Fernet's public surface stays exactly the documented API.
let seal: (f: Fernet, plain: Uint8Array, stamp: Stamp, iv?: Uint8Array) => Promise<string>;
let open: (f: Fernet, data: Bytes) => Promise<Uint8Array | null>;

export class Fernet {
  readonly keyId: string;
  readonly #signing: CryptoKey;
  readonly #encryption: CryptoKey;

  static {
    seal = (f, plain, stamp, iv) => f.#seal(plain, stamp, iv);
    open = (f, data) => f.#open(data);
  }

  private constructor(keyId: string, signing: CryptoKey, encryption: CryptoKey) {
    this.keyId = keyId;
    this.#signing = signing;
    this.#encryption = encryption;
  }

  /** 44-character url-safe base64 of 32 random bytes, like `Fernet.generate_key()`. */
  static generateKey(): string {
    return base64urlEncode(crypto.getRandomValues(new Uint8Array(32)));
  }

  /** Imports a key once; the Web Crypto keys are reused by every call. */
  static async fromKey(key: string): Promise<Fernet> {
    if (typeof key !== 'string') throw new InvalidFernetKey('not a string');
    if (key.length === 0) throw new InvalidFernetKey('empty');
    const raw = base64urlDecode(key) as Bytes | null;
    if (!raw) throw new InvalidFernetKey('not url-safe base64 (alphabet A-Z a-z 0-9 - _, padded with =)');
    if (raw.length !== 32) throw new InvalidFernetKey(`decodes to ${raw.length} bytes, not 32`);
    const [signing, encryption] = await Promise.all([
      crypto.subtle.importKey('raw', raw.slice(0, 16), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']),
      crypto.subtle.importKey('raw', raw.slice(16), { name: 'AES-CBC' }, false, ['encrypt', 'decrypt']),
    ]);
    return new Fernet(keyIdOf(raw), signing, encryption);
  }

  async encrypt(data: Uint8Array | string): Promise<string> {
    const now = nowSeconds();
    return this.#seal(toBytes(data), { high: Math.floor(now / 2 ** 32), low: now >>> 0 });
  }

  /** Encrypts as if at `unixSeconds`; `iv` fixes the IV (tests and interop only). */
  async encryptAtTime(data: Uint8Array | string, unixSeconds: number, iv?: Uint8Array): Promise<string> {
    const plain = toBytes(data);
    if (!Number.isSafeInteger(unixSeconds) || unixSeconds < 0) throw new RangeError('timestamp must be a non-negative integer');
    if (iv !== undefined && iv.length !== 16) throw new RangeError('iv must be 16 bytes');
    return this.#seal(plain, { high: Math.floor(unixSeconds / 2 ** 32), low: unixSeconds >>> 0 }, iv);
  }

  async decrypt(token: string, opts?: DecryptOptions): Promise<Uint8Array> {
    const data = decodeToken(token);
    checkTime(stampSeconds(readStamp(data)), opts);
    const plain = await this.#open(data);
    if (!plain) throw new InvalidToken();
    return plain;
  }

  /**
   * The token's creation time, after its MAC is verified (as pyca does).
   * Unlike pyca, a token whose ciphertext is not whole AES blocks is refused
   * even under a valid MAC: it can never decrypt, so its time means nothing.
   */
  async extractTimestamp(token: string): Promise<number> {
    const data = decodeToken(token);
    if (!(await this.#macMatches(data))) throw new InvalidToken();
    return stampSeconds(readStamp(data));
  }

  /**
   * One buffer for the whole token: the IV is drawn into it, the ciphertext
   * copied in once, and the MAC computed over a view of it.
   */
  async #seal(plain: Uint8Array, stamp: Stamp, iv?: Uint8Array): Promise<string> {
    const cipherLength = (Math.floor(plain.length / BLOCK) + 1) * BLOCK; // PKCS7 adds 1..16 bytes
    const out = new Uint8Array(HEADER + cipherLength + MAC);
    out[0] = VERSION;
    const view = new DataView(out.buffer);
    view.setUint32(1, stamp.high);
    view.setUint32(5, stamp.low);
    const ivBytes = out.subarray(9, HEADER);
    if (iv) ivBytes.set(iv);
    else crypto.getRandomValues(ivBytes);
    const ciphertext = await crypto.subtle.encrypt({ name: 'AES-CBC', iv: ivBytes }, this.#encryption, plain as Bytes);
    out.set(new Uint8Array(ciphertext), HEADER);
    const signed = out.subarray(0, HEADER + cipherLength);
    out.set(new Uint8Array(await crypto.subtle.sign('HMAC', this.#signing, signed)), signed.length);
    return base64urlEncode(out);
  }

  /** Constant-time (Web Crypto verify) MAC check. */
  #macMatches(data: Bytes): Promise<boolean> {
    const mac = data.subarray(data.length - MAC);
    return crypto.subtle.verify('HMAC', this.#signing, mac, data.subarray(0, data.length - MAC));
  }

  /**
   * `null` when the MAC is not this key's; the plaintext when it is;
   * InvalidToken when the MAC is right but the ciphertext does not decrypt
   * and unpad.
   */
  async #open(data: Bytes): Promise<Uint8Array | null> {
    if (!(await this.#macMatches(data))) return null;
    try {
      const plain = await crypto.subtle.decrypt({ name: 'AES-CBC', iv: data.subarray(9, HEADER) }, this.#encryption, data.subarray(HEADER, data.length - MAC));
      return new Uint8Array(plain);
    } catch {
      throw new InvalidToken();
    }
  }
}

/** A ring of Fernets: the first encrypts, any may decrypt (pyca's MultiFernet). */
export class MultiFernet {
  readonly #fernets: Fernet[];

  constructor(fernets: Fernet[]) {
    if (!Array.isArray(fernets) || fernets.length === 0) {
      throw new Error('MultiFernet requires at least one Fernet instance');
    }
    this.#fernets = [...fernets];
  }

  encrypt(data: Uint8Array | string): Promise<string> {
    return this.#fernets[0]!.encrypt(data);
  }

  async decrypt(token: string, opts?: DecryptOptions): Promise<Uint8Array> {
    const data = decodeToken(token);
    checkTime(stampSeconds(readStamp(data)), opts);
    return this.#decryptAny(data);
  }

  /** Re-encrypts under the first key, keeping all 64 bits of the original timestamp. */
  async rotate(token: string): Promise<string> {
    const data = decodeToken(token);
    const plain = await this.#decryptAny(data);
    return seal(this.#fernets[0]!, plain, readStamp(data));
  }

  async #decryptAny(data: Bytes): Promise<Uint8Array> {
    for (const f of this.#fernets) {
      const plain = await open(f, data);
      if (plain) return plain;
    }
    throw new InvalidToken();
  }
}

/**
 * `token`, sealed by `from`, re-sealed by `to` with all 64 bits of its
 * original timestamp: pyca's `MultiFernet([to, from]).rotate(token)` when the
 * caller knows which key sealed it (a row's key_id names it), so the token is
 * decoded once and no other key's MAC is tried first. InvalidToken unless
 * `from`'s MAC matches and the ciphertext decrypts.
 */
export async function rotateFrom(from: Fernet, to: Fernet, token: string): Promise<string> {
  const data = decodeToken(token);
  const plain = await open(from, data);
  if (!plain) throw new InvalidToken();
  return seal(to, plain, readStamp(data));
}
