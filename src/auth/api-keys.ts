/**
 * Machine API keys: `av_<prefix>_<secret>`. Only SHA-256 of the whole key is
 * stored (the key has 256 random bits, so a slow hash adds nothing); the
 * prefix is a public lookup handle. Shown once, at creation.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { base64urlEncode, hexEncode, timingSafeEqual, utf8, hexDecode } from '../crypto/encoding.ts';

const KEY_PATTERN = /^av_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

export interface NewApiKey {
  key: string;
  prefix: string;
  hash: string;
}

export function hashApiKey(key: string): string {
  return hexEncode(sha256(utf8.encode(key)));
}

export function generateApiKey(): NewApiKey {
  const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const rnd = crypto.getRandomValues(new Uint8Array(12));
  const prefix = Array.from(rnd, (b) => alnum[b % alnum.length]).join('');
  const secret = base64urlEncode(crypto.getRandomValues(new Uint8Array(32))).replace(/=+$/, '');
  const key = `av_${prefix}_${secret}`;
  return { key, prefix, hash: hashApiKey(key) };
}

/** The prefix of a well-formed key, or null. */
export function apiKeyPrefix(key: string): string | null {
  return KEY_PATTERN.exec(key)?.[1] ?? null;
}

export function apiKeyMatches(key: string, storedHash: string): boolean {
  const stored = hexDecode(storedHash);
  return stored !== null && timingSafeEqual(sha256(utf8.encode(key)), stored);
}
