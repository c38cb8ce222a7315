/**
 * Logging in with email and password, shared by `POST /api/auth/login` and the
 * `/login` form. Order matters:
 *  1. the brute-force limits (login-throttle.ts) are checked first, so a locked
 *     account costs no password hashing;
 *  2. the password is verified even when the email is unknown (against a
 *     decoy hash), so a missing account cannot be told apart by timing;
 *  3. every refusal is the same generic `UNAUTHENTICATED` message;
 *  4. success issues a token, clears the account's failure count, records the
 *     login time, upgrades an outdated password hash, notes the signing key's
 *     use, and writes the audit event — one D1 batch.
 * The password never goes anywhere but the hash function.
 */
import { eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import type { Config } from '../config.ts';
import { users, type User } from '../db/schema.ts';
import { VaultError } from '../errors.ts';
import { auditStatement } from '../audit/audit.ts';
import { decoyPasswordHash, hashPassword, needsRehash, verifyPassword } from '../crypto/password.ts';
import { issueAccessToken, type IssuedToken } from './tokens.ts';
import { normalizeEmail, PASSWORD_MAX_LENGTH } from './user-rules.ts';
import { throttleBuckets, ACCOUNT_RULE, CLIENT_RULE } from './throttle-policy.ts';
import { clearStatement, failureStatement, pruneStatement, throttleWait } from './login-throttle.ts';
import { signingKeyUseStatement } from './signing-key-usage.ts';
import { findUserByEmail } from './users.ts';

export const WRONG_CREDENTIALS = 'Incorrect email or password.';

export interface LoginAttempt {
  email: unknown;
  password: unknown;
  /** CF-Connecting-IP, or null when absent (local tools). */
  ip: string | null;
}

export interface LoginSuccess {
  user: User;
  issued: IssuedToken;
}

const DECOY = decoyPasswordHash();

function tooMany(waitMs: number): VaultError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  const minutes = Math.ceil(seconds / 60);
  return new VaultError('RATE_LIMITED', `Too many failed logins. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`, {
    retryAfter: seconds,
    details: { retry_after_seconds: seconds },
  });
}

export async function login(db: Db, config: Config, attempt: LoginAttempt, now = Date.now()): Promise<LoginSuccess> {
  const typed = typeof attempt.email === 'string' ? attempt.email.trim().toLowerCase().slice(0, 254) : '';
  const email = normalizeEmail(attempt.email);
  const password = typeof attempt.password === 'string' && attempt.password.length <= PASSWORD_MAX_LENGTH * 4 ? attempt.password : null;
  const buckets = throttleBuckets(typed, attempt.ip);

  const wait = await throttleWait(db, buckets, now);
  if (wait > 0) {
    await auditStatement(db, {
      actor: 'anonymous',
      action: 'auth.login_failed',
      target: typed ? `email:${typed}` : null,
      ip: attempt.ip,
      detail: { reason: 'throttled' },
      at: now,
    });
    throw tooMany(wait);
  }

  const user = email ? await findUserByEmail(db, email) : undefined;
  // Always pay for one verification, matching or not.
  const matches = await verifyPassword(password ?? '', user?.hashedPassword ?? DECOY);
  const ok = Boolean(user && password !== null && matches && user.isActive);

  if (!ok || !user) {
    const reason = !user ? 'unknown_email' : !matches || password === null ? 'wrong_password' : 'inactive';
    await db.batch([
      auditStatement(db, {
        actor: user ? `user:${user.id}` : 'anonymous',
        action: 'auth.login_failed',
        target: typed ? `email:${typed}` : null,
        ip: attempt.ip,
        detail: { reason },
        at: now,
      }),
      ...buckets.map((b) => failureStatement(db, b, now)),
    ]);
    throw new VaultError('UNAUTHENTICATED', WRONG_CREDENTIALS);
  }

  const issued = await issueAccessToken(config, user, Math.floor(now / 1000));
  const upgrade = needsRehash(user.hashedPassword) ? await hashPassword(password!) : null;
  const [updated] = await db.batch([
    db
      .update(users)
      .set({ lastLoginAt: now, ...(upgrade ? { hashedPassword: upgrade } : {}) })
      .where(eq(users.id, user.id))
      .returning(),
    clearStatement(db, buckets[0]!.bucket),
    signingKeyUseStatement(db, issued, now),
    auditStatement(db, {
      actor: `user:${user.id}`,
      action: 'auth.login',
      target: `user:${user.id}`,
      ip: attempt.ip,
      detail: upgrade ? { hash_upgraded: true } : undefined,
      at: now,
    }),
    pruneStatement(db, now, Math.max(ACCOUNT_RULE.windowMs, CLIENT_RULE.windowMs)),
  ]);
  return { user: updated[0] ?? user, issued };
}
