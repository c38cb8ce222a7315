/**
 * Passkey (WebAuthn) ceremonies with @simplewebauthn/server: registration for
 * a signed-in user, sign-in for anyone. The rules:
 * - the origin is PUBLIC_URL's when set, else the request's; the RP ID is
 *   that origin's host (`relyingParty`);
 * - user verification is required in both ceremonies;
 * - every challenge is stored (passkey-store.ts), single-use and valid for
 *   CHALLENGE_TTL_MS; it is consumed atomically before anything else is
 *   checked, so concurrent uses cannot both pass;
 * - each refusal has its own code: CHALLENGE_EXPIRED (unknown or expired),
 *   CHALLENGE_USED, ASSERTION_REPLAYED (this very response was already used),
 *   PASSKEY_UNKNOWN (never registered or deleted), PASSKEY_WRONG_USER (a
 *   credential of another user than the one the challenge was for),
 *   USER_INACTIVE, PASSKEY_COUNTER_REGRESSED (the signature counter did not
 *   grow, when the authenticator keeps one), PASSKEY_REJECTED (signature,
 *   origin, RP ID, user verification or shape);
 * - a sign-in is rate-limited like the password (`passkeyLogin`): 429
 *   RATE_LIMITED once the user its credential names, or the client, has too
 *   many failures;
 * - every registration, sign-in and refusal is audited; nothing of the
 *   response (signature, client data) reaches a log, an audit event or a message.
 */
import { generateAuthenticationOptions, generateRegistrationOptions, verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { sha256 } from '../crypto/hash.ts';
import { hexEncode } from '../crypto/encoding.ts';
import type { Db } from '../db/client.ts';
import type { Config } from '../config.ts';
import type { User } from '../db/schema.ts';
import { VaultError, type ErrorCode } from '../errors.ts';
import { auditStatement, recordAudit } from '../audit/audit.ts';
import { isoBase64URL } from '@simplewebauthn/server/helpers';
import type { Actor } from '../kernel/principal.ts';
import {
  challengeState,
  consumeChallenge,
  deletePasskeyStatement,
  deleteUserPasskeysStatement,
  renamePasskeyStatement,
  findPasskey,
  findPasskeyByCredentialId,
  insertPasskeyStatement,
  listPasskeys,
  newChallengeStatement,
  pruneChallengesStatement,
  recordPasskeyUseStatement,
  type ChallengePurpose,
  type PasskeyRow,
} from './passkey-store.ts';
import { findUser, findUserByEmail } from './users.ts';
import { normalizeEmail } from './user-rules.ts';
import { finishSignIn, type SignedIn } from './sign-in.ts';
import { passkeyThrottleBuckets } from './throttle-policy.ts';
import { reserveAttempt, successStatements } from './login-throttle.ts';

export const CHALLENGE_TTL_MS = 5 * 60_000;
export const RP_NAME = 'arena-vault';
export const PASSKEY_NAME_MAX_LENGTH = 100;

export interface RelyingParty {
  origin: string;
  rpId: string;
}

/** PUBLIC_URL's origin when set, else the request's; the RP ID is its host name. */
export function relyingParty(config: Config, requestUrl: string): RelyingParty {
  const origin = config.publicOrigin ?? new URL(requestUrl).origin;
  return { origin, rpId: new URL(origin).hostname };
}

/** The passkey as the API shows it: never the key. */
export function publicPasskey(p: PasskeyRow) {
  return {
    id: p.id,
    name: p.name,
    created_at: new Date(p.createdAt).toISOString(),
    last_used_at: p.lastUsedAt === null ? null : new Date(p.lastUsedAt).toISOString(),
  };
}

const enc = new TextEncoder();

/** WebAuthn's base64url (unpadded); null for anything else. */
function fromB64(text: string): Uint8Array<ArrayBuffer> | null {
  if (!isoBase64URL.isBase64URL(text)) return null;
  try {
    return isoBase64URL.toBuffer(text);
  } catch {
    return null;
  }
}

/** The WebAuthn user handle of a vault user: their id, as text bytes. */
export function userHandle(userId: number): Uint8Array<ArrayBuffer> {
  return enc.encode(String(userId));
}

/** The replay fingerprint of an attestation or signature (crypto/hash.ts: native SHA-256). */
function sha256Hex(text: string): string {
  return hexEncode(sha256(enc.encode(text)));
}

const MESSAGES: Partial<Record<ErrorCode, string>> = {
  CHALLENGE_EXPIRED: 'The passkey challenge is unknown or expired. Start again.',
  CHALLENGE_USED: 'The passkey challenge was already used. Start again.',
  ASSERTION_REPLAYED: 'This passkey response was already used.',
  PASSKEY_COUNTER_REGRESSED: "The passkey's signature counter went backwards: it may have been cloned.",
  PASSKEY_WRONG_USER: 'This passkey belongs to another account.',
  PASSKEY_UNKNOWN: 'This passkey is not registered (or was removed).',
  PASSKEY_REJECTED: 'The passkey response could not be verified.',
  USER_INACTIVE: 'This account is deactivated.',
};

function refuse(code: ErrorCode): VaultError {
  return new VaultError(code, MESSAGES[code] ?? 'The passkey response could not be verified.');
}

/** The challenge a response answers (from its client data), or a PASSKEY_REJECTED for a malformed one. */
function challengeOf(response: { response?: { clientDataJSON?: unknown } }): string {
  const raw = response.response?.clientDataJSON;
  const bytes = typeof raw === 'string' ? fromB64(raw) : null;
  if (!bytes) throw refuse('PASSKEY_REJECTED');
  try {
    const challenge = (JSON.parse(new TextDecoder().decode(bytes)) as { challenge?: unknown }).challenge;
    if (typeof challenge === 'string' && challenge.length > 0 && challenge.length <= 256) return challenge;
  } catch {
    // falls through
  }
  throw refuse('PASSKEY_REJECTED');
}

/**
 * Consumes the challenge for `purpose`, or throws why not. `usedBy` (a hash
 * of the response) tells a replay of the very same response from another
 * response to a used challenge.
 */
async function takeChallenge(db: Db, challenge: string, purpose: ChallengePurpose, usedBy: string, now: number) {
  const row = await consumeChallenge(db, challenge, purpose, usedBy, now);
  if (row) return row;
  const state = await challengeState(db, challenge, purpose);
  if (!state || state.usedAt === null) throw refuse('CHALLENGE_EXPIRED');
  throw refuse(state.usedBy === usedBy ? 'ASSERTION_REPLAYED' : 'CHALLENGE_USED');
}

async function storeChallenge(db: Db, challenge: string, purpose: ChallengePurpose, userId: number | null, now: number) {
  await db.batch([
    newChallengeStatement(db, { challenge, purpose, userId, expiresAt: now + CHALLENGE_TTL_MS }),
    pruneChallengesStatement(db, now, CHALLENGE_TTL_MS),
  ]);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function credentialResponse(x: unknown): { id: string; response: Record<string, unknown> } {
  if (!isObject(x) || typeof x.id !== 'string' || !x.id || x.id.length > 1024 || !isObject(x.response)) throw refuse('PASSKEY_REJECTED');
  return x as { id: string; response: Record<string, unknown> };
}

// ---- registration ----

export async function registrationOptions(db: Db, rp: RelyingParty, user: User, now = Date.now()) {
  const existing = await listPasskeys(db, user.id);
  const options = await generateRegistrationOptions({
    rpName: RP_NAME,
    rpID: rp.rpId,
    userName: user.email,
    userDisplayName: user.displayName || user.email,
    userID: userHandle(user.id),
    attestationType: 'none',
    timeout: CHALLENGE_TTL_MS,
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: JSON.parse(p.transports) as string[] })),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
  });
  await storeChallenge(db, options.challenge, 'register', user.id, now);
  return options;
}

export async function registerPasskey(
  db: Db,
  rp: RelyingParty,
  user: User,
  input: { response: unknown; name?: string | null },
  by: Actor,
  now = Date.now(),
): Promise<PasskeyRow> {
  const response = credentialResponse(input.response);
  const attestation = response.response.attestationObject;
  if (typeof attestation !== 'string') throw refuse('PASSKEY_REJECTED');
  const challenge = challengeOf(response);
  const row = await takeChallenge(db, challenge, 'register', sha256Hex(attestation), now);
  if (row.userId !== user.id) throw refuse('PASSKEY_WRONG_USER');
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response: response as unknown as RegistrationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpId,
      requireUserVerification: true,
    });
  } catch {
    verified = null;
  }
  if (!verified?.verified) {
    await recordAudit(db, {
      actor: by.actor,
      action: 'auth.passkey_register_failed',
      target: `user:${user.id}`,
      ip: by.ip,
      detail: { reason: 'PASSKEY_REJECTED' },
      at: now,
    });
    throw refuse('PASSKEY_REJECTED');
  }
  const cred = verified.registrationInfo.credential;
  if (await findPasskeyByCredentialId(db, cred.id)) throw new VaultError('CONFLICT', 'This passkey is already registered.');
  const name = input.name?.trim() || `Passkey ${new Date(now).toISOString().slice(0, 10)}`;
  const [[inserted]] = await db.batch([
    insertPasskeyStatement(db, {
      userId: user.id,
      credentialId: cred.id,
      publicKey: isoBase64URL.fromBuffer(cred.publicKey),
      counter: cred.counter,
      transports: JSON.stringify(cred.transports ?? []),
      name,
      createdAt: now,
    }),
    auditStatement(db, { actor: by.actor, action: 'auth.passkey_registered', target: `user:${user.id}`, ip: by.ip, detail: { name }, at: now }),
  ]);
  return inserted!;
}

/** The passkey `id` if `ownerId` may act on it (null: anyone, i.e. an admin); 404 for someone else's or a missing one. */
async function ownPasskey(db: Db, id: number, ownerId: number | null): Promise<PasskeyRow> {
  const p = await findPasskey(db, id);
  if (!p || (ownerId !== null && p.userId !== ownerId)) throw new VaultError('NOT_FOUND', `No passkey with id ${id}.`);
  return p;
}

/** Renames one of the owner's passkeys (`name` already checked by the form's schema). */
export async function renamePasskey(db: Db, id: number, ownerId: number, name: string, by: Actor, now = Date.now()): Promise<void> {
  const p = await ownPasskey(db, id, ownerId);
  await db.batch([
    renamePasskeyStatement(db, id, name),
    auditStatement(db, { actor: by.actor, action: 'auth.passkey_renamed', target: `user:${p.userId}`, ip: by.ip, detail: { from: p.name, to: name }, at: now }),
  ]);
}

/** Removes a passkey of `ownerId` (the route decides who may); 404 for someone else's or a missing one. */
export async function removePasskey(db: Db, id: number, ownerId: number | null, by: Actor, now = Date.now()): Promise<void> {
  const p = await ownPasskey(db, id, ownerId);
  await db.batch([
    deletePasskeyStatement(db, id),
    auditStatement(db, { actor: by.actor, action: 'auth.passkey_removed', target: `user:${p.userId}`, ip: by.ip, detail: { name: p.name }, at: now }),
  ]);
}

/** Removes every passkey of a user (an admin's action on the users page); returns how many. */
export async function removeUserPasskeys(db: Db, userId: number, by: Actor, now = Date.now()): Promise<number> {
  const [removed] = await db.batch([
    deleteUserPasskeysStatement(db, userId),
    auditStatement(db, { actor: by.actor, action: 'auth.passkey_removed', target: `user:${userId}`, ip: by.ip, detail: { all: true }, at: now }),
  ]);
  return removed.length;
}

// ---- sign-in ----

/**
 * Request options. With an email, `allowCredentials` lists that user's
 * passkeys and the challenge is bound to them (an unknown email gets an empty
 * list and a challenge no credential can answer, so the answer does not tell
 * whether the account exists); without, any discoverable passkey may answer.
 */
export async function loginOptions(db: Db, rp: RelyingParty, email: string | null | undefined, now = Date.now()) {
  const normalized = email ? normalizeEmail(email) : null;
  const user = normalized ? await findUserByEmail(db, normalized) : undefined;
  const allowed = user ? await listPasskeys(db, user.id) : [];
  const options = await generateAuthenticationOptions({
    rpID: rp.rpId,
    userVerification: 'required',
    timeout: CHALLENGE_TTL_MS,
    allowCredentials: allowed.map((p) => ({ id: p.credentialId, transports: JSON.parse(p.transports) as string[] })),
  });
  await storeChallenge(db, options.challenge, 'login', email ? (user?.id ?? 0) : null, now);
  return options;
}

/** The signature counter in authenticator data (bytes 33-36, big-endian). */
function counterOf(authenticatorData: unknown): number | null {
  const bytes = typeof authenticatorData === 'string' ? fromB64(authenticatorData) : null;
  if (!bytes || bytes.length < 37) return null;
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(33);
}

async function verifyAssertion(
  db: Db,
  rp: RelyingParty,
  input: unknown,
  passkey: PasskeyRow | undefined,
  now: number,
): Promise<{ user: User; passkey: PasskeyRow; newCounter: number }> {
  const response = credentialResponse(input);
  const signature = response.response.signature;
  if (typeof signature !== 'string') throw refuse('PASSKEY_REJECTED');
  const challenge = challengeOf(response);
  const row = await takeChallenge(db, challenge, 'login', sha256Hex(signature), now);
  if (!passkey) throw refuse('PASSKEY_UNKNOWN');
  if (row.userId !== null && row.userId !== passkey.userId) throw refuse('PASSKEY_WRONG_USER');
  const handle = response.response.userHandle;
  if (typeof handle === 'string' && handle && handle !== isoBase64URL.fromBuffer(userHandle(passkey.userId))) throw refuse('PASSKEY_WRONG_USER');
  const user = await findUser(db, passkey.userId);
  if (!user) throw refuse('PASSKEY_UNKNOWN');
  if (!user.isActive) throw refuse('USER_INACTIVE');
  let verified;
  try {
    verified = await verifyAuthenticationResponse({
      response: response as unknown as AuthenticationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.rpId,
      // The counter rule is ours (below), so its refusal has its own code.
      credential: { id: passkey.credentialId, publicKey: fromB64(passkey.publicKey)!, counter: 0 },
      requireUserVerification: true,
    });
  } catch {
    verified = null;
  }
  if (!verified?.verified) throw refuse('PASSKEY_REJECTED');
  const newCounter = verified.authenticationInfo.newCounter;
  if ((newCounter > 0 || passkey.counter > 0) && newCounter <= passkey.counter) throw refuse('PASSKEY_COUNTER_REGRESSED');
  if (counterOf(response.response.authenticatorData) !== newCounter) throw refuse('PASSKEY_REJECTED');
  return { user, passkey, newCounter };
}

/** The passkey an assertion's credential id names, if any (nothing is verified yet). */
async function namedPasskey(db: Db, input: unknown): Promise<PasskeyRow | undefined> {
  const id = isObject(input) ? input.id : null;
  return typeof id === 'string' && id && id.length <= 1024 ? findPasskeyByCredentialId(db, id) : undefined;
}

/**
 * Signs in with a passkey: the same token as the password login, method
 * `passkey`. Rate-limited like the password (login-throttle.ts
 * reserveAttempt, buckets from throttle-policy.ts passkeyThrottleBuckets):
 * the attempt is reserved before the challenge is taken or anything is
 * verified, every refusal after that counts as a failure, and a success
 * settles the reservation in the sign-in's own batch.
 */
export async function passkeyLogin(db: Db, config: Config, rp: RelyingParty, input: unknown, ip: string | null, now = Date.now()): Promise<SignedIn> {
  const named = await namedPasskey(db, input);
  const target = named ? `user:${named.userId}` : null;
  const reservation = await reserveAttempt(db, passkeyThrottleBuckets(named?.userId ?? null, ip), now, {
    message: 'Too many failed passkey sign-ins.',
    audit: { actor: 'anonymous', action: 'auth.login_failed', target, ip, detail: { method: 'passkey', reason: 'throttled' } },
  });
  let checked;
  try {
    checked = await verifyAssertion(db, rp, input, named, now);
    // Compare-and-set on the counter: of two uses racing on one counter, one is recorded.
    const [used] = await recordPasskeyUseStatement(db, checked.passkey.id, checked.passkey.counter, checked.newCounter, now);
    if (!used) throw refuse('PASSKEY_COUNTER_REGRESSED');
  } catch (e) {
    // The reservation already counts this failure.
    if (e instanceof VaultError) {
      await recordAudit(db, { actor: 'anonymous', action: 'auth.login_failed', target, ip, detail: { method: 'passkey', reason: e.code }, at: now });
    }
    throw e;
  }
  return finishSignIn(db, config, checked.user, { method: 'passkey', ip, target: `user:${checked.user.id}`, also: successStatements(db, reservation) }, now);
}
