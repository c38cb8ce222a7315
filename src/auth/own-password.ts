/**
 * A user changing their own password (e.g. replacing the temporary one an admin
 * set). The current password must be given, and it is checked under the same
 * brute-force limits as logins (one reservation per attempt before verifying,
 * login-throttle.ts), in the same buckets, so a stolen session cannot be used
 * to recover the password. The change ends every other session; the caller
 * gets a fresh token.
 */
import type { Db } from '../db/client.ts';
import type { Config } from '../config.ts';
import { validationError } from '../schema/problems.ts';
import { auditStatement } from '../audit/audit.ts';
import { verifyPassword } from '../crypto/password.ts';
import { issueAccessToken, type IssuedToken } from './tokens.ts';
import { throttleBuckets } from './throttle-policy.ts';
import { reserveAttempt, successStatements } from './login-throttle.ts';
import { signingKeyUseStatement } from './signing-key-usage.ts';
import { getUser, setPassword } from './users.ts';
import type { Actor } from '../kernel/principal.ts';

export async function changeOwnPassword(
  db: Db,
  config: Config,
  userId: number,
  current: string,
  /** Already parsed by the route's schema (schemas.ts `NewPassword`, which applies `passwordProblem`). */
  next: string,
  by: Actor,
  now = Date.now(),
): Promise<{ issued: IssuedToken }> {
  const user = await getUser(db, userId);
  const reservation = await reserveAttempt(db, throttleBuckets(user.email, by.ip ?? null), now, { message: 'Too many wrong passwords.' });
  if (!(await verifyPassword(current, user.hashedPassword))) {
    // The reservation already counts this failure.
    await auditStatement(db, { actor: by.actor, action: 'auth.password_change_failed', target: `user:${userId}`, ip: by.ip, at: now });
    throw validationError([{ field: 'current_password', message: 'is not correct' }], 'The current password is not correct.');
  }
  const updated = await setPassword(db, userId, next, by, 'auth.password_changed', successStatements(db, reservation));
  // A password change proves the password, nothing stronger.
  const issued = await issueAccessToken(config, updated, 'password');
  await signingKeyUseStatement(db, issued, Date.now());
  return { issued };
}
