/**
 * Machine API keys: `av_<prefix>_<secret>`. Only SHA-256 of the whole key is
 * stored (the key has 256 random bits, so a slow hash adds nothing); the
 * prefix is a public lookup handle. Shown once, at creation.
 * Pure: the D1 side is api-key-repository.ts.
 */
import { sha256 } from '../crypto/hash.ts';
import { base64urlEncode, hexEncode, timingSafeEqual, utf8, hexDecode } from '../crypto/encoding.ts';
import type { ApiKeyScope } from '../kernel/principal.ts';

const KEY_PATTERN = /^av_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;

interface NewApiKey {
  key: string;
  prefix: string;
  hash: string;
}

export function hashApiKey(key: string): string {
  return hexEncode(sha256(utf8.encode(key)));
}

export function generateApiKey(): NewApiKey {
  const alnum = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let prefix = '';
  while (prefix.length < 12) {
    // Rejection sampling: bytes >= 248 would bias `b % 62` towards the first letters.
    for (const b of crypto.getRandomValues(new Uint8Array(16))) if (b < 248 && prefix.length < 12) prefix += alnum[b % 62];
  }
  const secret = base64urlEncode(crypto.getRandomValues(new Uint8Array(32))).replace(/=+$/, '');
  const key = `av_${prefix}_${secret}`;
  return { key, prefix, hash: hashApiKey(key) };
}

/**
 * How the audit log, lease holders and every other actor name a key:
 * `api_key:<prefix>`. The prefix is random (71 bits), public (lists show it as
 * `av_<prefix>_`) and unique, so a name is never reused: a D1 restore rewinds
 * the AUTOINCREMENT `id`, and a key created afterwards may get the id of one
 * the restore removed, but never its prefix (docs/data-model.md#identifiers).
 */
export function apiKeyActor(prefix: string): string {
  return `api_key:${prefix}`;
}

/** The prefix of a well-formed key, or null. */
export function apiKeyPrefix(key: string): string | null {
  return KEY_PATTERN.exec(key)?.[1] ?? null;
}

export function apiKeyMatches(key: string, storedHash: string): boolean {
  const stored = hexDecode(storedHash);
  return stored !== null && timingSafeEqual(sha256(utf8.encode(key)), stored);
}

export const API_KEY_NAME_MAX_LENGTH = 100;

/** The one vocabulary for a key's state; only `active` keys authenticate. */
type ApiKeyStatus = 'active' | 'revoked' | 'expired';

/**
 * A key's state at `now`: revoked wins over expired; a key whose expiry has
 * come is refused exactly as a revoked one (auth/middleware.ts asks only this).
 */
export function apiKeyStatus(k: { revokedAt: number | null; expiresAt: number | null }, now: number): ApiKeyStatus {
  if (k.revokedAt !== null) return 'revoked';
  if (k.expiresAt !== null && k.expiresAt <= now) return 'expired';
  return 'active';
}

export interface NewApiKeyInput {
  name: string;
  scope: ApiKeyScope;
  /** The user the key acts for, or null for a service key. */
  userId: number | null;
  /** Unix ms from which the key is refused, or null for no expiry. */
  expiresAt: number | null;
}
