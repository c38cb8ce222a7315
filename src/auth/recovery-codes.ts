/**
 * Recovery codes: ten single-use codes a user generates (shown once, each new
 * set replacing the old one) to sign in when their passkey is lost. A code
 * signs in as strongly as a passkey (method `recovery`).
 *
 * Stored as SHA-256 (hex) of the normalised code. A fast hash is enough here,
 * unlike for passwords: each code is 128 random bits, so even with the whole
 * table an attacker would have to try 2^128 candidates per code; a slow hash
 * only helps secrets a person chose (low entropy) or short ones.
 *
 * A sign-in with a code is rate-limited like the password, in the same
 * buckets (login-throttle.ts reserveAttempt, before the code is checked),
 * refused with the same generic message, and audited either way.
 */
import type { Db } from '../db/client.ts';
import type { Config } from '../config.ts';
import { VaultError } from '../errors.ts';
import { auditStatement } from '../audit/audit.ts';
import type { Actor } from '../kernel/principal.ts';
import { hexEncode } from '../crypto/encoding.ts';
import { sha256 } from '../crypto/hash.ts';
import { replaceRecoveryCodesStatements, useRecoveryCode } from './recovery-code-store.ts';
import { throttleBuckets } from './throttle-policy.ts';
import { reserveAttempt, successStatements } from './login-throttle.ts';
import { findUserByEmail } from './users.ts';
import { normalizeEmail } from './user-rules.ts';
import { finishSignIn, type SignedIn } from './sign-in.ts';

export const RECOVERY_CODE_COUNT = 10;
const CODE_BYTES = 16;
/** Crockford's base32 alphabet: no I, L, O or U, so a code read aloud or typed is not misread. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export const WRONG_RECOVERY = 'Incorrect email or recovery code.';

/** 16 random bytes as 26 base32 characters, in groups of 4 and 2 for reading: `xxxx-xxxx-…-xx`. */
export function newRecoveryCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(CODE_BYTES));
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out.match(/.{1,4}/g)!.join('-');
}

/** The code as stored before hashing: lower case, no spaces or dashes; null if it cannot be a code. */
export function normalizeRecoveryCode(input: unknown): string | null {
  if (typeof input !== 'string' || input.length > 64) return null;
  const s = input.toLowerCase().replace(/[\s-]/g, '');
  return /^[0-9a-hjkmnp-tv-z]{26}$/.test(s) ? s : null;
}

export function hashRecoveryCode(normalized: string): string {
  return hexEncode(sha256(new TextEncoder().encode(normalized)));
}

/** Makes a new set for the user, replacing any earlier one; returns the codes (the only time they exist in clear). */
export async function generateRecoveryCodes(db: Db, userId: number, by: Actor, now = Date.now()): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  const hashes = codes.map((c) => hashRecoveryCode(normalizeRecoveryCode(c)!));
  await db.batch([
    ...replaceRecoveryCodesStatements(db, userId, hashes, now),
    auditStatement(db, {
      actor: by.actor,
      action: 'auth.recovery_codes_generated',
      target: `user:${userId}`,
      ip: by.ip,
      detail: { count: codes.length },
      at: now,
    }),
  ]);
  return codes;
}

/** Signs in with email and a recovery code: method `recovery`, the code used up. */
export async function recoveryLogin(
  db: Db,
  config: Config,
  attempt: { email: unknown; code: unknown; ip: string | null },
  now = Date.now(),
): Promise<SignedIn> {
  const typed = typeof attempt.email === 'string' ? attempt.email.trim().toLowerCase().slice(0, 254) : '';
  const email = normalizeEmail(attempt.email);
  const reservation = await reserveAttempt(db, throttleBuckets(typed, attempt.ip), now, {
    message: 'Too many failed logins.',
    audit: {
      actor: 'anonymous',
      action: 'auth.login_failed',
      target: typed ? `email:${typed}` : null,
      ip: attempt.ip,
      detail: { method: 'recovery', reason: 'throttled' },
    },
  });
  const user = email ? await findUserByEmail(db, email) : undefined;
  const code = normalizeRecoveryCode(attempt.code);
  const hash = hashRecoveryCode(code ?? '');
  let reason: string | null = !user ? 'unknown_email' : !user.isActive ? 'inactive' : code === null ? 'wrong_code' : null;
  if (!reason && !(await useRecoveryCode(db, user!.id, hash, now))) reason = 'wrong_code';
  if (reason || !user) {
    // The reservation already counts this failure.
    await auditStatement(db, {
      actor: user ? `user:${user.id}` : 'anonymous',
      action: 'auth.login_failed',
      target: typed ? `email:${typed}` : null,
      ip: attempt.ip,
      detail: { method: 'recovery', reason: reason ?? 'unknown_email' },
      at: now,
    });
    throw new VaultError('UNAUTHENTICATED', WRONG_RECOVERY);
  }
  return finishSignIn(
    db,
    config,
    user,
    {
      method: 'recovery',
      ip: attempt.ip,
      also: [
        ...successStatements(db, reservation),
        auditStatement(db, { actor: `user:${user.id}`, action: 'auth.recovery_code_used', target: `user:${user.id}`, ip: attempt.ip, at: now }),
      ],
    },
    now,
  );
}
