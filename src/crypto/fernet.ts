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

/** A ciphertext's length once PKCS7 has added its 1 to 16 bytes. */
function paddedLength(plainLength: number): number {
  return (Math.floor(plainLength / BLOCK) + 1) * BLOCK;
}

/** One buffer for a whole token: version and timestamp written; IV, ciphertext and MAC left to fill. */
function tokenBuffer(stamp: Stamp, cipherLength: number): Bytes {
  const out = new Uint8Array(HEADER + cipherLength + MAC);
  out[0] = VERSION;
  const view = new DataView(out.buffer);
  view.setUint32(1, stamp.high);
  view.setUint32(5, stamp.low);
  return out;
}

// Module-private access to a Fernet's sealing and opening, for MultiFernet:
// assigned in Fernet's static block, so the keys never leave this module and
// Fernet's public surface stays exactly the documented API.
let seal: (f: Fernet, plain: Uint8Array, stamp: Stamp, iv?: Uint8Array) => Promise<string>;
let open: (f: Fernet, data: Bytes) => Promise<Uint8Array | null>;
let sealAll: (f: Fernet, plains: readonly Uint8Array[], stamps: readonly Stamp[]) => Promise<string[]>;
let openAll: (f: Fernet, data: readonly (Bytes | null)[]) => Promise<(Uint8Array | null)[]>;

export class Fernet {
  readonly keyId: string;
  readonly #signing: CryptoKey;
  readonly #encryption: CryptoKey;

  static {
    seal = (f, plain, stamp, iv) => f.#seal(plain, stamp, iv);
    open = (f, data) => f.#open(data);
    sealAll = (f, plains, stamps) => f.#sealAll(plains, stamps);
    openAll = (f, data) => f.#openAll(data);
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
    const out = tokenBuffer(stamp, paddedLength(plain.length));
    const ivBytes = out.subarray(9, HEADER);
    if (iv) ivBytes.set(iv);
    else crypto.getRandomValues(ivBytes);
    const ciphertext = await crypto.subtle.encrypt({ name: 'AES-CBC', iv: ivBytes }, this.#encryption, plain as Bytes);
    out.set(new Uint8Array(ciphertext), HEADER);
    return this.#signAndEncode(out);
  }

  /** Writes the MAC of everything before the token's last 32 bytes into them; the token, encoded. */
  async #signAndEncode(out: Bytes): Promise<string> {
    const signed = out.subarray(0, out.length - MAC);
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

  /**
   * Many tokens in ONE AES-CBC call (see "Many tokens at once" below). The
   * input is P1‖pad ‖ X2 ‖ P2‖pad ‖ … ‖ Xm ‖ Pm, each X a fresh random block
   * and the last plaintext padded by Web Crypto: in CBC, X_k's ciphertext
   * block is then the IV that token k's own blocks chain from.
   */
  async #sealAll(plains: readonly Uint8Array[], stamps: readonly Stamp[]): Promise<string[]> {
    const m = plains.length;
    if (m === 0) return [];
    const cipherLengths = plains.map((p) => paddedLength(p.length));
    const last = m - 1;
    let size = 0;
    for (let k = 0; k < m; k++) size += cipherLengths[k]! + (k > 0 ? BLOCK : 0);
    const random = crypto.getRandomValues(new Uint8Array(BLOCK * m)); // the first IV, then X2..Xm
    const input = new Uint8Array(size - (cipherLengths[last]! - plains[last]!.length));
    let at = 0;
    for (let k = 0; k < m; k++) {
      if (k > 0) {
        input.set(random.subarray(k * BLOCK, (k + 1) * BLOCK), at);
        at += BLOCK;
      }
      const p = plains[k]!;
      input.set(p, at);
      if (k < last) input.fill(cipherLengths[k]! - p.length, at + p.length, at + cipherLengths[k]!); // PKCS7
      at += cipherLengths[k]!;
    }
    const ciphertext = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv: random.subarray(0, BLOCK) }, this.#encryption, input));
    const tokens: string[] = [];
    at = 0;
    for (let k = 0; k < m; k++) {
      const ivAt = k === 0 ? -1 : at;
      if (k > 0) at += BLOCK;
      const length = cipherLengths[k]!;
      const out = tokenBuffer(stamps[k]!, length);
      out.set(ivAt < 0 ? random.subarray(0, BLOCK) : ciphertext.subarray(ivAt, at), 9);
      out.set(ciphertext.subarray(at, at + length), HEADER);
      at += length;
      tokens.push(await this.#signAndEncode(out));
    }
    return tokens;
  }

  /**
   * Many decoded tokens: each MAC checked alone, then every authenticated
   * ciphertext decrypted in ONE AES-CBC call, over C1 ‖ IV2 ‖ C2 ‖ … ‖ IVm ‖ Cm
   * (each token's IV as a block of its own, so its first block chains from
   * it; the IV blocks' own output is skipped). Web Crypto checks the last
   * token's padding; the others' are checked here. `null` for a token that
   * would not open (InvalidToken alone).
   */
  async #openAll(data: readonly (Bytes | null)[]): Promise<(Uint8Array | null)[]> {
    const out: (Uint8Array | null)[] = data.map(() => null);
    const opened: Bytes[] = [];
    const at: number[] = [];
    let size = 0;
    for (let i = 0; i < data.length; i++) {
      const d = data[i];
      if (!d || !(await this.#macMatches(d))) continue;
      if (opened.length > 0) size += BLOCK;
      opened.push(d);
      at.push(i);
      size += d.length - HEADER - MAC;
    }
    if (opened.length === 0) return out;
    const input = new Uint8Array(size);
    let offset = 0;
    for (let k = 0; k < opened.length; k++) {
      const d = opened[k]!;
      if (k > 0) {
        input.set(d.subarray(9, HEADER), offset);
        offset += BLOCK;
      }
      input.set(d.subarray(HEADER, d.length - MAC), offset);
      offset += d.length - HEADER - MAC;
    }
    let plain: Uint8Array;
    try {
      plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-CBC', iv: opened[0]!.subarray(9, HEADER) }, this.#encryption, input));
    } catch {
      // The last token's padding is bad (its MAC is good: only a holder of
      // the key makes such a token). Open each alone, so only it fails.
      for (const i of at) out[i] = await this.#open(data[i]!).catch(() => null);
      return out;
    }
    offset = 0;
    for (let k = 0; k < opened.length; k++) {
      if (k > 0) offset += BLOCK;
      if (k === opened.length - 1) {
        out[at[k]!] = plain.subarray(offset);
        break;
      }
      const length = opened[k]!.length - HEADER - MAC;
      out[at[k]!] = unpad(plain.subarray(offset, offset + length));
      offset += length;
    }
    return out;
  }
}

/** PKCS7: the plaintext without its padding, or null when the padding is bad. */
function unpad(block: Uint8Array): Uint8Array | null {
  const n = block[block.length - 1]!;
  if (n < 1 || n > BLOCK) return null;
  for (let i = block.length - n; i < block.length; i++) if (block[i] !== n) return null;
  return block.subarray(0, block.length - n);
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

// --- Many tokens at once ---------------------------------------------------------
//
// A key rotation opens and re-seals every credential, and in workerd each
// Web Crypto call and its await cost more than the AES work on a 100-byte
// token. So the functions below run ONE AES-CBC call per group of tokens
// (the MACs are still one call a token: each token has its own). They give
// exactly what one call per token gives: the same plaintexts, and the same
// Fernet tokens, byte for byte but for the IVs, which are random either way:
// - opening, each token's IV is put before its ciphertext as a block of its
//   own, so CBC chains each token's first block from its own IV;
// - sealing, token k's IV is the ciphertext of a fresh random block X_k, in
//   the same call (AES under the same key applied to an unpredictable block:
//   NIST SP 800-38A, Appendix C, the first of its two ways to make a CBC IV).
//   The first token's IV comes straight from the CSPRNG.

/** Tokens per Web Crypto call: bounds the joined buffers (and getRandomValues' 64 KiB). */
const GROUP = 1_024;

function decodeOrNull(token: string): Bytes | null {
  try {
    return decodeToken(token);
  } catch {
    return null;
  }
}

async function openTokens(f: Fernet, tokens: readonly string[]): Promise<{ data: (Bytes | null)[]; plains: (Uint8Array | null)[] }> {
  const data = tokens.map(decodeOrNull);
  const plains: (Uint8Array | null)[] = [];
  for (let g = 0; g < data.length; g += GROUP) plains.push(...(await openAll(f, data.slice(g, g + GROUP))));
  return { data, plains };
}

/**
 * Each token's plaintext, or `null` where `f.decrypt(token)` (no TTL) would
 * throw InvalidToken.
 */
export async function decryptAll(f: Fernet, tokens: readonly string[]): Promise<(Uint8Array | null)[]> {
  return (await openTokens(f, tokens)).plains;
}

/**
 * Each token, sealed by `from`, re-sealed by `to` with all 64 bits of its
 * original timestamp: pyca's `MultiFernet([to, from]).rotate(token)` when the
 * caller knows which key sealed it (a row's key_id names it), so no other
 * key's MAC is tried first. `null` where `from`'s MAC does not match or the
 * ciphertext does not decrypt.
 */
export async function rotateAllFrom(from: Fernet, to: Fernet, tokens: readonly string[]): Promise<(string | null)[]> {
  const { data, plains } = await openTokens(from, tokens);
  const opened: number[] = [];
  for (let i = 0; i < plains.length; i++) if (plains[i]) opened.push(i);
  const out: (string | null)[] = tokens.map(() => null);
  for (let g = 0; g < opened.length; g += GROUP) {
    const group = opened.slice(g, g + GROUP);
    const sealed = await sealAll(
      to,
      group.map((i) => plains[i]!),
      group.map((i) => readStamp(data[i]!)),
    );
    for (let k = 0; k < group.length; k++) out[group[k]!] = sealed[k]!;
  }
  return out;
}
