/**
 * Byte encodings used by the vault: strict base64url (RFC 4648 §5, padded,
 * as Fernet and Python's `base64.urlsafe_b64encode` produce it), hex and UTF-8.
 *
 * Decoding is strict on purpose: only the url-safe alphabet, a length that is
 * a multiple of 4, `=` only as final padding, and zero unused trailing bits.
 * Anything else returns `null`, so callers choose their own error.
 * Pure and runtime-neutral (workerd, Deno, Node). Where the runtime has
 * the native `Uint8Array.fromBase64` / `toBase64` (workerd, Deno), they do the
 * work (several times faster than a JS loop, and Fernet base64-decodes every
 * token); elsewhere (Node 24) the portable JS versions below run. Both paths
 * accept and reject exactly the same strings (test/crypto/encoding.test.ts).
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ENCODE = new Uint8Array(64);
const DECODE = new Int16Array(256).fill(-1);
for (let i = 0; i < 64; i++) {
  ENCODE[i] = ALPHABET.charCodeAt(i);
  DECODE[ALPHABET.charCodeAt(i)] = i;
}
const PAD = 61; // '='
const ascii = new TextDecoder('latin1');

export function base64urlEncodePortable(bytes: Uint8Array): string {
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ENCODE[v >>> 18]!;
    out[o++] = ENCODE[(v >>> 12) & 63]!;
    out[o++] = ENCODE[(v >>> 6) & 63]!;
    out[o++] = ENCODE[v & 63]!;
  }
  const rest = n - i;
  if (rest === 1) {
    const v = bytes[i]! << 16;
    out[o++] = ENCODE[v >>> 18]!;
    out[o++] = ENCODE[(v >>> 12) & 63]!;
    out[o++] = PAD;
    out[o++] = PAD;
  } else if (rest === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out[o++] = ENCODE[v >>> 18]!;
    out[o++] = ENCODE[(v >>> 12) & 63]!;
    out[o++] = ENCODE[(v >>> 6) & 63]!;
    out[o++] = PAD;
  }
  return ascii.decode(out);
}

/** Strict padded base64url decode in plain JS; `null` on any deviation. */
export function base64urlDecodePortable(text: string): Uint8Array | null {
  const len = text.length;
  if (len % 4 !== 0) return null;
  if (len === 0) return new Uint8Array(0);
  let pad = 0;
  if (text.charCodeAt(len - 1) === PAD) pad = text.charCodeAt(len - 2) === PAD ? 2 : 1;
  const out = new Uint8Array((len / 4) * 3 - pad);
  let o = 0;
  const full = pad ? len - 4 : len;
  for (let i = 0; i < full; i += 4) {
    const a = sextet(text, i),
      b = sextet(text, i + 1),
      c = sextet(text, i + 2),
      d = sextet(text, i + 3);
    if ((a | b | c | d) < 0) return null;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >>> 16;
    out[o++] = (v >>> 8) & 255;
    out[o++] = v & 255;
  }
  if (pad) {
    const a = sextet(text, full),
      b = sextet(text, full + 1);
    if ((a | b) < 0) return null;
    if (pad === 2) {
      if (b & 15) return null; // non-canonical trailing bits
      out[o++] = (a << 2) | (b >>> 4);
    } else {
      const c = sextet(text, full + 2);
      if (c < 0 || c & 3) return null;
      const v = (a << 12) | (b << 6) | c;
      out[o++] = v >>> 10;
      out[o++] = (v >>> 2) & 255;
    }
  }
  return out;
}

interface NativeBase64 {
  fromBase64(text: string, options: { alphabet: 'base64url'; lastChunkHandling: 'strict' }): Uint8Array;
}
const nativeFrom = (Uint8Array as unknown as Partial<NativeBase64>).fromBase64;
const nativeTo = (Uint8Array.prototype as unknown as { toBase64?: (o: { alphabet: 'base64url' }) => string }).toBase64;

/** Url-safe base64 with `=` padding, as Python's `base64.urlsafe_b64encode`. */
export const base64urlEncode: (bytes: Uint8Array) => string = nativeTo ? (bytes) => nativeTo.call(bytes, { alphabet: 'base64url' }) : base64urlEncodePortable;

/** Strict padded base64url decode; `null` on any deviation. */
export const base64urlDecode: (text: string) => Uint8Array | null = nativeFrom
  ? (text) => {
      const len = text.length;
      if (len % 4 !== 0) return null;
      let out: Uint8Array;
      try {
        // 'strict' demands the padding and zero trailing bits; the alphabet
        // option refuses + and /.
        out = nativeFrom.call(Uint8Array, text, { alphabet: 'base64url', lastChunkHandling: 'strict' });
      } catch {
        return null;
      }
      // fromBase64 skips ASCII whitespace; any skipped character makes the
      // output shorter than the input length implies, so this refuses it.
      const pad = text.charCodeAt(len - 1) === PAD ? (text.charCodeAt(len - 2) === PAD ? 2 : 1) : 0;
      return out.length === (len / 4) * 3 - pad ? out : null;
    }
  : base64urlDecodePortable;

function sextet(text: string, i: number): number {
  const code = text.charCodeAt(i);
  return code < 256 ? DECODE[code]! : -1;
}

export function hexEncode(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

/** Lower- or upper-case hex of even length; `null` otherwise. */
export function hexDecode(text: string): Uint8Array | null {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
export const utf8 = {
  encode: (s: string): Uint8Array => utf8Encoder.encode(s),
  decode: (b: Uint8Array): string => utf8Decoder.decode(b),
};

/** Constant-time comparison of two byte strings (length is not secret). */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
