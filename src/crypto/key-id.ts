/**
 * Key ids: a short public fingerprint of a secret key, so tokens and rows can
 * say which key they need without revealing it.
 *
 * keyId = hex(first 8 bytes of SHA-256(raw key bytes)). For a Fernet key the raw
 * bytes are the 32 decoded bytes; for a JWT secret they are its UTF-8 bytes.
 * 64 bits of a hash of a >= 256-bit secret reveal nothing usable about it.
 */
import { sha256 } from './hash.ts';
import { hexEncode } from './encoding.ts';

export function keyIdOf(raw: Uint8Array): string {
  return hexEncode(sha256(raw).subarray(0, 8));
}
