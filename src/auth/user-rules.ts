/**
 * Pure rules for user accounts: how emails are normalised, what a password
 * must be, which inputs a user create/update accepts, and the guard that the
 * vault never loses its last active admin. No I/O; the D1 code calls these.
 */
import { VaultError } from '../errors.ts';
import type { Role } from '../kernel/principal.ts';
import { isSingleLine } from '../schema/text.ts';

export const PASSWORD_MIN_LENGTH = 12;
/** Long enough for any passphrase; bounds the work one request can ask for. */
export const PASSWORD_MAX_LENGTH = 1024;
const EMAIL_MAX_LENGTH = 254;
export const DISPLAY_NAME_MAX_LENGTH = 100;
export const ROLES: readonly Role[] = ['admin', 'researcher'];

/** Case-folded, trimmed email; `null` if it is not a plausible address. */
export function normalizeEmail(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const email = raw.trim().toLowerCase();
  if (email.length < 3 || email.length > EMAIL_MAX_LENGTH || !isSingleLine(email)) return null;
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) return null;
  return email;
}

/** The problem with a proposed new password, or null. Never echoes the password. */
export function passwordProblem(password: unknown): string | null {
  if (typeof password !== 'string') return 'a password is required';
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return `the password must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `the password must be at most ${PASSWORD_MAX_LENGTH} characters`;
  if (password.trim().length === 0) return 'the password must not be only spaces';
  return null;
}

export interface NewUserInput {
  email: string;
  password: string;
  displayName: string;
  role: Role;
}

export interface UserChanges {
  role?: Role;
  isActive?: boolean;
  displayName?: string;
}

interface AccountState {
  id: number;
  role: Role;
  isActive: boolean;
}

/**
 * Refuses a change that would leave no active admin (nobody could manage the
 * vault any more; only the bootstrap script could repair it).
 * `activeAdminCount` counts every active admin including `target`.
 */
export function assertKeepsAnAdmin(target: AccountState, changes: UserChanges, activeAdminCount: number): void {
  const wasActiveAdmin = target.role === 'admin' && target.isActive;
  const staysActiveAdmin = (changes.role ?? target.role) === 'admin' && (changes.isActive ?? target.isActive);
  if (wasActiveAdmin && !staysActiveAdmin && activeAdminCount <= 1) {
    throw new VaultError('CONFLICT', 'This is the last active admin: make another user an admin first.');
  }
}

/** Whether a change ends the user's sessions (role or activation changed). */
export function changeRevokesSessions(target: AccountState, changes: UserChanges): boolean {
  return (changes.role !== undefined && changes.role !== target.role) || (changes.isActive !== undefined && changes.isActive !== target.isActive);
}
