/**
 * The end of every sign-in that is not the password form (passkey, recovery
 * code; OIDC and Cloudflare Access can call it too): issue the session token
 * with its sign-in method (tokens.ts issueAccessToken, the one issuer), record
 * the login time and the signing key's use, write the `auth.login` audit
 * event with the method, and commit the caller's own statements — one D1 batch.
 */
import type { BatchItem } from 'drizzle-orm/batch';
import type { Db } from '../db/client.ts';
import type { Config } from '../config.ts';
import type { User } from '../db/schema.ts';
import type { SignInMethod } from '../kernel/principal.ts';
import { auditStatement } from '../audit/audit.ts';
import { issueAccessToken, type IssuedToken } from './tokens.ts';
import { signingKeyUseStatement } from './signing-key-usage.ts';
import { recordLoginStatement } from './users.ts';

export interface SignedIn {
  user: User;
  issued: IssuedToken;
}

export async function finishSignIn(
  db: Db,
  config: Config,
  user: User,
  how: { method: SignInMethod; ip: string | null; target?: string; also?: BatchItem<'sqlite'>[] },
  now = Date.now(),
): Promise<SignedIn> {
  const issued = await issueAccessToken(config, user, how.method, Math.floor(now / 1000));
  const [updated] = await db.batch([
    recordLoginStatement(db, user.id, now, null),
    signingKeyUseStatement(db, issued, now),
    auditStatement(db, {
      actor: `user:${user.id}`,
      action: 'auth.login',
      target: how.target ?? `user:${user.id}`,
      ip: how.ip,
      detail: { method: how.method },
      at: now,
    }),
    ...(how.also ?? []),
  ]);
  return { user: updated[0] ?? user, issued };
}
