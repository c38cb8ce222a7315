/**
 * Every input and answer of the accounts API and pages, as schemas: login,
 * the own-password change, users and API keys. The field rules stay in
 * user-rules.ts (email, password, roles) and api-keys.ts; these schemas call
 * them, so the JSON API and the forms refuse exactly the same things, with
 * the same per-field messages.
 */
import * as v from 'valibot';
import { blankAsUndefined, booleanish, idString, isoTime, singleLine, strict } from '../schema/types.ts';
import { API_KEY_NAME_MAX_LENGTH } from './api-keys.ts';
import { DISPLAY_NAME_MAX_LENGTH, normalizeEmail, passwordProblem, ROLES, type NewUserInput, type UserChanges } from './user-rules.ts';
import type { Role } from '../kernel/principal.ts';
import type { NewApiKeyInput } from './api-keys.ts';
import { PASSKEY_NAME_MAX_LENGTH } from './passkeys.ts';

/** A plausible address, case-folded (user-rules.ts `normalizeEmail` is the rule). */
const Email = v.pipe(
  v.string('must be a valid email address'),
  v.check((s) => normalizeEmail(s) !== null, 'must be a valid email address'),
  v.transform((s) => normalizeEmail(s)!),
);

/** A new password (user-rules.ts `passwordProblem` is the rule; its message never echoes the password). */
const NewPassword = v.pipe(
  v.string('a password is required'),
  v.check(
    (s) => passwordProblem(s) === null,
    (issue) => passwordProblem(issue.input) ?? 'is not valid',
  ),
);

const RoleSchema = v.picklist(ROLES);
const DisplayName = singleLine(DISPLAY_NAME_MAX_LENGTH, 0);

// ---- sessions ----

/** Login takes any strings: a malformed email is refused like a wrong one (one generic message). */
export const LoginBody = strict({ email: v.string(), password: v.string() });
export const LoginForm = strict({ email: v.optional(v.string(), ''), password: v.optional(v.string(), ''), next: v.optional(v.string()) });

export const OwnPasswordBody = strict({ current_password: v.string('is required'), new_password: NewPassword });
export const OwnPasswordForm = v.pipe(
  strict({ current_password: v.string('is required'), new_password: NewPassword, confirm_password: v.string('is required') }),
  v.forward(
    v.check((f) => f.new_password === f.confirm_password, 'must repeat the new password exactly'),
    ['confirm_password'],
  ),
);

export const TokenSchema = v.object({ access_token: v.string(), token_type: v.literal('bearer'), expires_in: v.number() });

// ---- users ----

function newUserInput(b: { email: string; password: string; display_name?: string | null; role: Role }): NewUserInput {
  return {
    email: b.email,
    password: b.password,
    displayName: b.display_name ?? '',
    role: b.role,
  };
}

export const NewUserBody = v.pipe(
  strict({ email: Email, password: NewPassword, display_name: v.optional(v.nullable(DisplayName)), role: v.optional(RoleSchema, 'researcher') }),
  v.transform((b) => newUserInput(b)),
);
/** The create form sends every field as a string; an empty role means the default. */
export const NewUserForm = v.pipe(
  strict({
    email: Email,
    password: NewPassword,
    display_name: v.optional(DisplayName),
    role: v.optional(
      v.pipe(
        v.string(),
        v.transform((x) => x || 'researcher'),
        RoleSchema,
      ),
      'researcher',
    ),
  }),
  v.transform((b) => newUserInput(b)),
);

export const UserChangesBody = v.pipe(
  strict({ role: v.optional(RoleSchema), is_active: v.optional(v.boolean()), display_name: v.optional(DisplayName) }),
  v.check((b) => Object.keys(b).length > 0, 'Nothing to change: send role, is_active or display_name.'),
  v.transform(
    (b): UserChanges => ({
      ...(b.role !== undefined ? { role: b.role } : {}),
      ...(b.is_active !== undefined ? { isActive: b.is_active } : {}),
      ...(b.display_name !== undefined ? { displayName: b.display_name } : {}),
    }),
  ),
);
export const RoleForm = strict({ role: RoleSchema });
export const ActiveForm = strict({ is_active: booleanish });

export const SetPasswordBody = strict({ password: NewPassword });

export const UserSchema = v.object({
  id: v.number(),
  email: v.string(),
  display_name: v.string(),
  role: RoleSchema,
  is_active: v.boolean(),
  token_version: v.number(),
  last_login_at: v.nullable(v.string()),
  created_at: v.nullable(v.string()),
  updated_at: v.nullable(v.string()),
});

// ---- API keys ----

const Future = v.check((ms: number) => ms > Date.now(), 'must be in the future');
const Expiry = v.pipe(isoTime(true), Future);

function newApiKeyInput(b: { name: string; scope: 'collector' | 'admin'; user_id?: number | null; expires_at?: number | null }): NewApiKeyInput {
  return {
    name: b.name,
    scope: b.scope,
    userId: b.user_id ?? null,
    expiresAt: b.expires_at ?? null,
  };
}

export const NewApiKeyBody = v.pipe(
  strict({
    name: singleLine(API_KEY_NAME_MAX_LENGTH),
    scope: v.picklist(['collector', 'admin']),
    user_id: v.optional(v.nullable(v.pipe(v.number('must be a user id'), v.safeInteger('must be a user id'), v.minValue(1, 'must be a user id')))),
    expires_at: v.optional(v.nullable(Expiry)),
  }),
  v.transform((b) => newApiKeyInput(b)),
);
export const NewApiKeyForm = v.pipe(
  strict({
    name: singleLine(API_KEY_NAME_MAX_LENGTH),
    scope: v.picklist(['collector', 'admin']),
    user_id: blankAsUndefined(idString),
    expires_at: blankAsUndefined(Expiry),
  }),
  v.transform((b) => newApiKeyInput(b)),
);

export const ApiKeySchema = v.object({
  id: v.number(),
  name: v.string(),
  scope: v.picklist(['collector', 'admin']),
  user_id: v.nullable(v.number()),
  prefix: v.string(),
  status: v.picklist(['active', 'revoked', 'expired']),
  created_by: v.nullable(v.number()),
  created_by_email: v.nullable(v.string()),
  creator_still_admin: v.nullable(v.boolean()),
  created_at: v.nullable(v.string()),
  expires_at: v.nullable(v.string()),
  last_used_at: v.nullable(v.string()),
  revoked_at: v.nullable(v.string()),
});
export const NewApiKeySchema = v.object({ ...ApiKeySchema.entries, key: v.string() });

// ---- passkeys and recovery codes (passkeys-api.ts) ----

/** A WebAuthn response as @simplewebauthn/browser produces it; its inside is checked by the ceremony (passkeys.ts). */
const WebAuthnResponse = v.record(v.string(), v.unknown(), 'must be the WebAuthn response object');

export const PasskeyRegisterBody = strict({ response: WebAuthnResponse, name: v.optional(v.nullable(singleLine(PASSKEY_NAME_MAX_LENGTH))) });
export const PasskeyNameForm = strict({ name: singleLine(PASSKEY_NAME_MAX_LENGTH) });
export const PasskeyLoginOptionsBody = strict({ email: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(254, 'must be at most 254 characters')))) });
export const PasskeyLoginBody = strict({ response: WebAuthnResponse });
/** Like the password login: any strings; a wrong pair is one generic 401. */
export const RecoveryLoginBody = strict({ email: v.string(), code: v.string() });
export const RecoveryLoginForm = strict({ email: v.optional(v.string(), ''), code: v.optional(v.string(), ''), next: v.optional(v.string()) });
export const PasskeyLoginForm = strict({ response: v.optional(v.string(), ''), next: v.optional(v.string()) });

export const PasskeySchema = v.object({ id: v.number(), name: v.string(), created_at: v.string(), last_used_at: v.optional(v.nullable(v.string())) });
export const PasskeyListSchema = v.object({ passkeys: v.array(PasskeySchema) });
export const RecoveryCodesSchema = v.object({ codes: v.array(v.string()) });
export const AuthMethodsSchema = v.object({
  password: v.literal(true),
  passkey: v.literal(true),
  oidc: v.object({ enabled: v.boolean(), name: v.nullable(v.string()) }),
  access: v.object({ enabled: v.boolean() }),
});
/** WebAuthn creation or request options (standard JSON shape, as @simplewebauthn/server produces it). */
export const WebAuthnOptionsSchema = v.record(v.string(), v.unknown());
