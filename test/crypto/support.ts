/**
 * Helpers for the Fernet tests: a seeded PRNG (so every fuzz failure
 * reproduces from its seed), byte helpers, and a way to forge tokens that
 * carry a *valid* MAC around arbitrary bytes, which is how the tests reach
 * the decrypt/unpad stage with hostile ciphertext.
 */
import { cbc } from '@noble/ciphers/aes.js';
import { createHmac } from 'node:crypto';
import { base64urlDecode, base64urlEncode } from '../../src/crypto/encoding.ts';

/** mulberry32: tiny, fast, good enough to drive fuzzing; same seed, same stream. */
export function prng(seed: number): { next(): number; int(n: number): number; bytes(n: number): Uint8Array } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  const bytes = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = int(256);
    return out;
  };
  return { next, int, bytes };
}

export function b64(text: string): Uint8Array {
  const out = base64urlDecode(text);
  if (!out) throw new Error(`fixture is not strict base64url: ${text.slice(0, 20)}...`);
  return out;
}

export function textOf(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** The raw signing and encryption halves of a Fernet key (tests only). */
export function keyHalves(key: string): { signing: Uint8Array; encryption: Uint8Array } {
  const raw = b64(key);
  return { signing: raw.slice(0, 16), encryption: raw.slice(16) };
}

/**
 * A token with a correct MAC over `0x80 ‖ ts ‖ iv ‖ body`, where `body` is
 * exactly the given bytes (not padded or encrypted by Web Crypto).
 */
export function forgeSigned(key: string, body: Uint8Array, opts: { timestamp?: number | bigint; iv?: Uint8Array } = {}): string {
  const { signing } = keyHalves(key);
  const head = new Uint8Array(25);
  head[0] = 0x80;
  new DataView(head.buffer).setBigUint64(1, BigInt(opts.timestamp ?? 1_700_000_000));
  head.set(opts.iv ?? new Uint8Array(16).fill(7), 9);
  const signed = concat(head, body);
  return base64urlEncode(concat(signed, new Uint8Array(createHmac('sha256', signing).update(signed).digest())));
}

/** AES-128-CBC of `plain` with NO padding added (plain must be whole blocks). */
export function rawCbc(key: string, plain: Uint8Array, iv: Uint8Array): Uint8Array {
  return cbc(keyHalves(key).encryption, iv, { disablePadding: true }).encrypt(plain);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Runs `fn` and returns what it threw (or 'resolved'). Lets a fuzz loop
 * collect every case that did NOT throw exactly InvalidToken, then assert
 * on the whole list, so one failure report names all offending seeds.
 */
export async function outcome(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
    return 'resolved';
  } catch (e) {
    return e;
  }
}
