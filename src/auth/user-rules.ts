/**
 * Pure rules for user accounts: how emails are normalised, what a password
 * must be, which inputs a user create/update accepts, and the guard that the
 * vault never loses its last active admin. No I/O; the D1 code calls these.
 */
import { VaultError } from '../errors.ts';
import type { Role } from './principal.ts';
import { isSingleLine, SINGLE_LINE_MESSAGE } from '../schema/text.ts';

export const PASSWORD_MIN_LENGTH = 12;
/** Long enough for any passphrase; bounds the work one request can ask for. */
export const PASSWORD_MAX_LENGTH = 1024;
export const EMAIL_MAX_LENGTH = 254;
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

export function isRole(v: unknown): v is Role {
  return v === 'admin' || v === 'researcher';
}

function displayNameOf(raw: unknown, field: string): string {
  if (raw === undefined || raw === null) return '';
  if (typeof raw !== 'string') throw invalid(field, 'must be a string');
  const name = raw.trim();
  if (name.length > DISPLAY_NAME_MAX_LENGTH) throw invalid(field, `must be at most ${DISPLAY_NAME_MAX_LENGTH} characters`);
  if (!isSingleLine(name)) throw invalid(field, SINGLE_LINE_MESSAGE);
  return name;
}

function invalid(field: string, problem: string): VaultError {
  return new VaultError('VALIDATION_FAILED', `${field} ${problem}.`, { details: { field } });
}

export interface NewUserInput {
  email: string;
  password: string;
  displayName: string;
  role: Role;
}

/** Validates the body of a user create (REST or form). */
export function parseNewUser(body: Record<string, unknown>): NewUserInput {
  const email = normalizeEmail(body.email);
  if (!email) throw invalid('email', 'must be a valid email address');
  const problem = passwordProblem(body.password);
  if (problem) throw new VaultError('VALIDATION_FAILED', `password: ${problem}.`, { details: { field: 'password' } });
  const role = body.role ?? 'researcher';
  if (!isRole(role)) throw invalid('role', 'must be "admin" or "researcher"');
  return { email, password: body.password as string, displayName: displayNameOf(body.display_name, 'display_name'), role };
}

export interface UserChanges {
  role?: Role;
  isActive?: boolean;
  displayName?: string;
}

/** Validates the body of a user update; at least one known field must be present. */
export function parseUserChanges(body: Record<string, unknown>): UserChanges {
  const known = ['role', 'is_active', 'display_name'];
  const unknown = Object.keys(body).filter((k) => !known.includes(k));
  if (unknown.length) throw invalid(unknown[0]!, 'cannot be changed here');
  const changes: UserChanges = {};
  if (body.role !== undefined) {
    if (!isRole(body.role)) throw invalid('role', 'must be "admin" or "researcher"');
    changes.role = body.role;
  }
  if (body.is_active !== undefined) {
    if (typeof body.is_active !== 'boolean') throw invalid('is_active', 'must be true or false');
    changes.isActive = body.is_active;
  }
  if (body.display_name !== undefined) changes.displayName = displayNameOf(body.display_name, 'display_name');
  if (Object.keys(changes).length === 0) throw new VaultError('VALIDATION_FAILED', 'Nothing to change: send role, is_active or display_name.');
  return changes;
}

export interface AccountState {
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
