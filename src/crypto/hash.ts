/**
 * Synchronous SHA-256 and HMAC-SHA-256 from `node:crypto`, native in workerd
 * (nodejs_compat), Deno and Node, so no hash library ships in the bundle.
 * Web Crypto's digest is async; these callers (key ids, API-key hashes, CSRF
 * tokens) need a value at once.
 */
import { createHash, createHmac } from 'node:crypto';

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', key).update(data).digest());
}
