/**
 * Logging in with email and password, shared by `POST /api/auth/login` and the
 * `/login` form. Order matters:
 *  1. the attempt is reserved in the brute-force buckets first
 *     (login-throttle.ts), atomically, so a locked account or client costs no
 *     password hashing and a concurrent burst cannot pass the limit before its
 *     failures are counted;
 *  2. the password is verified even when the email is unknown (against a
 *     decoy hash), so a missing account cannot be told apart by timing;
 *  3. every refusal is the same generic `UNAUTHENTICATED` message;
 *  4. success issues a token, settles the reservation (clears the account's
 *     count, gives the client's slot back), records the
 *     login time, upgrades an outdated password hash, notes the signing key's
 *     use, and writes the audit event — one D1 batch.
 * The password never goes anywhere but the hash function.
 */
import type { Db } from '../db/client.ts';
import type { Config } from '../config.ts';
import type { User } from '../db/schema.ts';
import { VaultError } from '../errors.ts';
import { auditStatement } from '../audit/audit.ts';
import { decoyPasswordHash, hashPassword, needsRehash, verifyPassword } from '../crypto/password.ts';
import { issueAccessToken, type IssuedToken } from './tokens.ts';
import { normalizeEmail, PASSWORD_MAX_LENGTH } from './user-rules.ts';
import { throttleBuckets, ACCOUNT_RULE, CLIENT_RULE } from './throttle-policy.ts';
import { pruneStatement, reserveAttempt, successStatements } from './login-throttle.ts';
import { signingKeyUseStatement } from './signing-key-usage.ts';
import { findUserByEmail, recordLoginStatement } from './users.ts';

const WRONG_CREDENTIALS = 'Incorrect email or password.';

interface LoginAttempt {
  email: unknown;
  password: unknown;
  /** CF-Connecting-IP, or null when absent (local tools). */
  ip: string | null;
}

interface LoginSuccess {
  user: User;
  issued: IssuedToken;
}

const DECOY = decoyPasswordHash();

export async function login(db: Db, config: Config, attempt: LoginAttempt, now = Date.now()): Promise<LoginSuccess> {
  const typed = typeof attempt.email === 'string' ? attempt.email.trim().toLowerCase().slice(0, 254) : '';
  const email = normalizeEmail(attempt.email);
  const password = typeof attempt.password === 'string' && attempt.password.length <= PASSWORD_MAX_LENGTH * 4 ? attempt.password : null;
  const buckets = throttleBuckets(typed, attempt.ip);

  const reservation = await reserveAttempt(db, buckets, now, {
    message: 'Too many failed logins.',
    audit: { actor: 'anonymous', action: 'auth.login_failed', target: typed ? `email:${typed}` : null, ip: attempt.ip, detail: { reason: 'throttled' } },
  });

  const user = email ? await findUserByEmail(db, email) : undefined;
  // Always pay for one verification, matching or not.
  const matches = await verifyPassword(password ?? '', user?.hashedPassword ?? DECOY);
  const ok = Boolean(user && password !== null && matches && user.isActive);

  if (!ok || !user) {
    const reason = !user ? 'unknown_email' : !matches || password === null ? 'wrong_password' : 'inactive';
    // The reservation already counts this failure.
    await auditStatement(db, {
      actor: user ? `user:${user.id}` : 'anonymous',
      action: 'auth.login_failed',
      target: typed ? `email:${typed}` : null,
      ip: attempt.ip,
      detail: { reason },
      at: now,
    });
    throw new VaultError('UNAUTHENTICATED', WRONG_CREDENTIALS);
  }

  const issued = await issueAccessToken(config, user, 'password', Math.floor(now / 1000));
  const upgrade = needsRehash(user.hashedPassword) ? await hashPassword(password!) : null;
  const [updated] = await db.batch([
    recordLoginStatement(db, user.id, now, upgrade),
    ...successStatements(db, reservation),
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
