/**
 * Passkeys, recovery codes and the sign-in methods, under /api/auth
 * (ceremonies: passkeys.ts; codes: recovery-codes.ts):
 *   POST   /api/auth/passkeys/register/options  signed-in person → creation options (excludeCredentials = their passkeys)
 *   POST   /api/auth/passkeys/register/verify   {response, name?} → 201 {id, name, created_at}
 *   GET    /api/auth/passkeys                   their passkeys (never a key)
 *   DELETE /api/auth/passkeys/:id               the owner, or an admin → 204
 *   POST   /api/auth/passkeys/login/options     anyone, {email?} → request options (challenge single-use, 5 minutes)
 *   POST   /api/auth/passkeys/login/verify      anyone, {response} → the answer of POST /api/auth/login (rate-limited like it)
 *   POST   /api/auth/recovery-codes             signed-in person → 201 {codes: [10]}, shown once, replacing earlier ones
 *   POST   /api/auth/recovery/login             anyone, {email, code} → the answer of POST /api/auth/login
 *   GET    /api/auth/methods                    anyone → which sign-in methods this vault offers
 *
 * Registering takes `enroll`, which every person's session has and which is
 * all an enrollment session (ADMIN_SIGN_IN=strong, password only) has; such a
 * session may register only a first passkey, since a stolen password must not
 * add a passkey next to the owner's.
 */
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../http/types.ts';
import type { ErrorCode } from '../errors.ts';
import { VaultError } from '../errors.ts';
import { json, params } from '../schema/validate.ts';
import { describe } from '../schema/spec.ts';
import { IdParams } from '../schema/types.ts';
import { isEnrollmentSession, requirePasswordOwner, requireEnroll, requireUser } from '../http/guards.ts';
import { actorOf, clientIp, userIdOf } from '../http/request-context.ts';
import { can } from '../kernel/principal.ts';
import {
  AuthMethodsSchema,
  PasskeyListSchema,
  PasskeyLoginBody,
  PasskeyLoginOptionsBody,
  PasskeyRegisterBody,
  PasskeySchema,
  RecoveryCodesSchema,
  RecoveryLoginBody,
  TokenSchema,
  WebAuthnOptionsSchema,
} from './schemas.ts';
import { loginOptions, passkeyLogin, publicPasskey, registerPasskey, registrationOptions, relyingParty, removePasskey } from './passkeys.ts';
import { countPasskeys, listPasskeys } from './passkey-store.ts';
import { generateRecoveryCodes, recoveryLogin } from './recovery-codes.ts';
import { getUser } from './users.ts';
import { tokenBody } from './session-api.ts';
import { signInMethods } from './sign-in-methods.ts';

export const passkeysApi = new Hono<AppEnv>();

const TAG = 'passkeys';
const TOKEN = { description: 'An access token, as POST /api/auth/login answers.', schema: TokenSchema };
const PASSKEY_REFUSALS: ErrorCode[] = [
  'CHALLENGE_EXPIRED',
  'CHALLENGE_USED',
  'ASSERTION_REPLAYED',
  'PASSKEY_COUNTER_REGRESSED',
  'PASSKEY_WRONG_USER',
  'PASSKEY_UNKNOWN',
  'PASSKEY_REJECTED',
  'USER_INACTIVE',
  'RATE_LIMITED',
];

const rpOf = (c: Context<AppEnv>) => relyingParty(c.var.config, c.req.url);

/** An enrollment session may register its first passkey only. */
async function mayEnroll(c: Context<AppEnv>, userId: number): Promise<void> {
  const p = c.var.principal;
  if (p && isEnrollmentSession(p) && (await countPasskeys(c.var.db, userId)) > 0) {
    throw new VaultError('FORBIDDEN', 'Sign in with your passkey (or a recovery code) to add another one.');
  }
}

passkeysApi.post(
  '/api/auth/passkeys/register/options',
  describe({
    tag: TAG,
    summary: 'Passkey creation options for the caller',
    responses: { 200: { description: 'PublicKeyCredentialCreationOptionsJSON.', schema: WebAuthnOptionsSchema } },
  }),
  requireEnroll(),
  async (c) => {
    const user = await getUser(c.var.db, userIdOf(c));
    await mayEnroll(c, user.id);
    return c.json(await registrationOptions(c.var.db, rpOf(c), user));
  },
);

passkeysApi.post(
  '/api/auth/passkeys/register/verify',
  describe({
    tag: TAG,
    summary: 'Register the passkey the browser created',
    responses: { 201: { description: 'The passkey.', schema: PasskeySchema } },
    errors: ['CHALLENGE_EXPIRED', 'CHALLENGE_USED', 'ASSERTION_REPLAYED', 'PASSKEY_WRONG_USER', 'PASSKEY_REJECTED', 'CONFLICT'],
  }),
  requireEnroll(),
  json(PasskeyRegisterBody),
  async (c) => {
    const user = await getUser(c.var.db, userIdOf(c));
    await mayEnroll(c, user.id);
    const p = await registerPasskey(c.var.db, rpOf(c), user, c.req.valid('json'), actorOf(c));
    const { last_used_at: _, ...shown } = publicPasskey(p);
    return c.json(shown, 201);
  },
);

passkeysApi.get(
  '/api/auth/passkeys',
  describe({ tag: TAG, summary: "The caller's passkeys (never a key)", responses: { 200: { description: 'Oldest first.', schema: PasskeyListSchema } } }),
  requireUser(),
  async (c) => c.json({ passkeys: (await listPasskeys(c.var.db, userIdOf(c))).map(publicPasskey) }),
);

passkeysApi.delete(
  '/api/auth/passkeys/:id',
  describe({ tag: TAG, summary: 'Remove a passkey (its owner, or an admin)', responses: { 204: { description: 'Removed.' } } }),
  requireUser(),
  params(IdParams, 'passkey'),
  async (c) => {
    const owner = can(c.var.principal, 'admin') ? null : userIdOf(c);
    await removePasskey(c.var.db, c.req.valid('param').id, owner, actorOf(c));
    return c.body(null, 204);
  },
);

passkeysApi.post(
  '/api/auth/passkeys/login/options',
  describe({
    tag: TAG,
    summary: 'Passkey request options (the challenge is single-use and expires in 5 minutes)',
    public: true,
    responses: { 200: { description: 'PublicKeyCredentialRequestOptionsJSON.', schema: WebAuthnOptionsSchema } },
  }),
  json(PasskeyLoginOptionsBody, { emptyIsObject: true }),
  async (c) => c.json(await loginOptions(c.var.db, rpOf(c), c.req.valid('json').email)),
);

passkeysApi.post(
  '/api/auth/passkeys/login/verify',
  describe({ tag: TAG, summary: 'Sign in with a passkey', public: true, responses: { 200: TOKEN }, errors: PASSKEY_REFUSALS }),
  json(PasskeyLoginBody),
  async (c) => {
    const { issued } = await passkeyLogin(c.var.db, c.var.config, rpOf(c), c.req.valid('json').response, clientIp(c));
    return c.json(tokenBody(issued));
  },
);

passkeysApi.post(
  '/api/auth/recovery-codes',
  describe({
    tag: TAG,
    summary: 'Generate 10 recovery codes (shown once; replaces any earlier set)',
    responses: { 201: { description: 'The codes, this once.', schema: RecoveryCodesSchema } },
  }),
  // A person only: a code signs in as strongly as a passkey, so no API key may mint one.
  requirePasswordOwner(),
  async (c) => c.json({ codes: await generateRecoveryCodes(c.var.db, userIdOf(c), actorOf(c)) }, 201),
);

passkeysApi.post(
  '/api/auth/recovery/login',
  describe({
    tag: TAG,
    summary: 'Sign in with email and a recovery code (used up)',
    public: true,
    responses: { 200: TOKEN },
    errors: ['UNAUTHENTICATED', 'RATE_LIMITED'],
  }),
  json(RecoveryLoginBody),
  async (c) => {
    const { email, code } = c.req.valid('json');
    const { issued } = await recoveryLogin(c.var.db, c.var.config, { email, code, ip: clientIp(c) });
    return c.json(tokenBody(issued));
  },
);

passkeysApi.get(
  '/api/auth/methods',
  describe({
    tag: TAG,
    summary: 'The sign-in methods this vault offers',
    public: true,
    responses: { 200: { description: 'Password and passkey always; OIDC and Cloudflare Access when configured.', schema: AuthMethodsSchema } },
  }),
  (c) => c.json(signInMethods(c.var.config)),
);
