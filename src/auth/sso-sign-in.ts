/**
 * The one sign-in step shared by the identity-provider paths (OIDC; the
 * method is recorded on the session): a verified email from the provider
 * becomes a vault session, or a refusal with a stable reason.
 *  - `email_unverified`: the provider did not vouch for the address;
 *  - `domain_not_allowed`: not in OIDC_ALLOWED_DOMAINS;
 *  - `unknown_user`: no account, and no default role to create one with;
 *  - `inactive`: the account is deactivated.
 * An unknown person gets an account only with the configured default role
 * (`researcher`); an existing account keeps its own role: roles are never
 * raised from the provider's claims. Success issues the session through
 * issueAccessToken with the method, records the login time and the signing
 * key's use and writes `auth.login` (detail: method), in one D1 batch; a
 * refusal writes `auth.login_failed` (detail: method, reason). Neither ever
 * holds a token, a code or a secret.
 */
import type { Db } from '../db/client.ts';
import type { Config } from '../config.ts';
import type { User } from '../db/schema.ts';
import { VaultError } from '../errors.ts';
import { auditStatement, recordAudit } from '../audit/audit.ts';
import { unusablePasswordHash } from '../crypto/password.ts';
import type { Role, SignInMethod } from '../kernel/principal.ts';
import { issueAccessToken, type IssuedToken } from './tokens.ts';
import { signingKeyUseStatement } from './signing-key-usage.ts';
import { emailDomainAllowed } from '../kernel/sso-config.ts';
import { DISPLAY_NAME_MAX_LENGTH, normalizeEmail } from './user-rules.ts';
import { findUserByEmail, newUserStatement, recordLoginStatement } from './users.ts';

export type SsoRefusalReason = 'email_unverified' | 'domain_not_allowed' | 'unknown_user' | 'inactive';

/** Safe to show: they name no input value. */
export const SSO_REFUSAL_MESSAGES: Record<SsoRefusalReason, string> = {
  email_unverified: 'Your identity provider has not verified your email address, so it cannot sign you in here.',
  domain_not_allowed: 'Accounts with your email domain may not sign in here.',
  unknown_user: 'There is no account for you in this vault. Ask an admin to create one.',
  inactive: 'This account is deactivated. Ask an admin to reactivate it.',
};

export class SsoRefusal extends VaultError {
  constructor(readonly reason: SsoRefusalReason) {
    super(reason === 'inactive' || reason === 'domain_not_allowed' ? 'FORBIDDEN' : 'UNAUTHENTICATED', SSO_REFUSAL_MESSAGES[reason]);
  }
}

export interface SsoIdentity {
  /** As the provider gave it; normalised here. */
  email: unknown;
  emailVerified: boolean;
  /** Display name for an account created at first sign-in. */
  name?: unknown;
}

export interface SsoPolicy {
  method: Extract<SignInMethod, 'oidc'>;
  allowedDomains: readonly string[];
  defaultRole: Extract<Role, 'researcher'> | null;
}

export interface SsoSuccess {
  user: User;
  issued: IssuedToken;
  created: boolean;
}

function displayNameFor(name: unknown, email: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters in a provider's name claim become spaces
  const text = typeof name === 'string' ? name.replace(/[\u0000-\u001f\u007f]/g, ' ').trim() : '';
  return (text || email.slice(0, email.indexOf('@'))).slice(0, DISPLAY_NAME_MAX_LENGTH);
}

export async function ssoSignIn(db: Db, config: Config, identity: SsoIdentity, policy: SsoPolicy, ip: string | null, now = Date.now()): Promise<SsoSuccess> {
  const email = normalizeEmail(identity.email);
  const refuse = async (reason: SsoRefusalReason, user?: User): Promise<never> => {
    await recordAudit(db, {
      actor: user ? `user:${user.id}` : 'anonymous',
      action: 'auth.login_failed',
      target: email ? `email:${email}` : null,
      ip,
      detail: { method: policy.method, reason },
      at: now,
    });
    throw new SsoRefusal(reason);
  };
  if (!email || !identity.emailVerified) return refuse('email_unverified');
  if (!emailDomainAllowed(email, policy.allowedDomains)) return refuse('domain_not_allowed');

  let user = await findUserByEmail(db, email);
  let created = false;
  if (!user) {
    if (!policy.defaultRole) return refuse('unknown_user');
    try {
      const [inserted] = await db.batch([
        newUserStatement(db, {
          email,
          hashedPassword: unusablePasswordHash(),
          displayName: displayNameFor(identity.name, email),
          role: policy.defaultRole,
          now,
        }),
        auditStatement(db, {
          actor: policy.method,
          action: 'user.create',
          target: `email:${email}`,
          ip,
          detail: { role: policy.defaultRole, via: policy.method },
          at: now,
        }),
      ]);
      user = inserted[0]!;
      created = true;
    } catch (e) {
      // A concurrent first sign-in created the account (the email is unique): use that one.
      user = await findUserByEmail(db, email);
      if (!user) throw e;
    }
  }
  if (!user.isActive) return refuse('inactive', user);

  const issued = await issueAccessToken(config, user, policy.method, Math.floor(now / 1000));
  const [updated] = await db.batch([
    recordLoginStatement(db, user.id, now, null),
    signingKeyUseStatement(db, issued, now),
    auditStatement(db, { actor: `user:${user.id}`, action: 'auth.login', target: `user:${user.id}`, ip, detail: { method: policy.method }, at: now }),
  ]);
  return { user: updated[0] ?? user, issued, created };
}
