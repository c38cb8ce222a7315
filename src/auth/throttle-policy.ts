/**
 * Brute-force limits for password checks (logins and the own-password form),
 * recovery codes and passkey sign-ins, as pure rules. Attempts are counted in
 * two buckets at once: the account (the email typed, whether or not it
 * exists; for a passkey, the user its credential names, see
 * passkeyThrottleBuckets) and the client (CF-Connecting-IP).
 *
 * Reserve first, verify second. Every attempt first *reserves* a slot in each
 * bucket (`reserveState`); only when every bucket admits it (`admits`) is the
 * password verified. So a burst of concurrent guesses cannot slip past a check
 * that happens before any failure is counted: the sixth reservation of a
 * window is refused whether or not the first five have finished hashing.
 *  - A reservation counts as a failure until the attempt proves otherwise.
 *    The one that brings a bucket to `maxFailures` within `windowMs` locks it
 *    for `lockMs`; a reservation in a locked bucket is refused (429, password
 *    not checked) and is counted too (that is how the adapter tells a refusal
 *    from an admission: the count has passed the limit), without moving the
 *    lock. The first reservation after the lock or the window has run out
 *    starts a fresh window.
 *  - A refused attempt gives back what it reserved in the buckets that did
 *    admit it (`giveBackState`): it verified nothing, so it costs nothing there.
 *  - A successful attempt settles each bucket by its `onSuccess`:
 *    the account bucket is cleared (the owner proved they know the password;
 *    their typos before no longer matter), while the client bucket only gets
 *    this attempt's own reservation back. So a valid account of an attacker's
 *    own never resets their guessing budget: every wrong password they sent
 *    stays counted against their client, whatever they log into in between.
 *    Giving back also lifts a lock that only this reservation had set.
 *
 * The D1 adapter (login-throttle.ts) runs each rule as one SQL statement whose
 * arithmetic happens inside SQLite; the functions here are its reference,
 * tested side by side.
 */

export interface ThrottleRule {
  maxFailures: number;
  windowMs: number;
  lockMs: number;
}

export interface ThrottleState {
  /** Attempts reserved in this window and not given back (failures and attempts still in flight). */
  failures: number;
  windowStartedAt: number;
  lockedUntil: number | null;
}

const MINUTE = 60_000;

/** One person guessing at one account: a handful of typos is normal, dozens are not. */
export const ACCOUNT_RULE: ThrottleRule = { maxFailures: 5, windowMs: 15 * MINUTE, lockMs: 15 * MINUTE };
/** One client spraying many accounts (an office behind one NAT stays well under this). */
export const CLIENT_RULE: ThrottleRule = { maxFailures: 20, windowMs: 15 * MINUTE, lockMs: 15 * MINUTE };

export interface ThrottleBucket {
  bucket: string;
  rule: ThrottleRule;
  /** What a successful attempt does to this bucket (see the module header). */
  onSuccess: 'clear' | 'give_back';
}

/** The client's bucket (CF-Connecting-IP), shared by every sign-in method: one budget per client, whatever it tries. */
function clientBucket(clientIp: string | null): ThrottleBucket {
  return { bucket: `client:${(clientIp ?? 'unknown').slice(0, 64)}`, rule: CLIENT_RULE, onSuccess: 'give_back' };
}

/** The buckets a password attempt counts against. The email is the one typed, normalised. */
export function throttleBuckets(email: string, clientIp: string | null): ThrottleBucket[] {
  return [{ bucket: `account:${email.slice(0, 254)}`, rule: ACCOUNT_RULE, onSuccess: 'clear' }, clientBucket(clientIp)];
}

/**
 * The buckets a passkey sign-in counts against, reserved before its assertion
 * is verified:
 *  - the user whose registered passkey the assertion's credential id names,
 *    `passkey:user:<id>`, under the account rule and cleared by a success.
 *    It is the user, not the credential, so several passkeys do not multiply
 *    the budget; and it is not the password's `account:<email>` bucket, so
 *    someone guessing passwords for an email cannot lock its owner out of
 *    their passkey (nor bad assertions lock out the password);
 *  - the client, the same bucket as the password's and the recovery codes'.
 * A credential id that names no passkey (`userId` null) can never sign in;
 * it counts against the client only.
 */
export function passkeyThrottleBuckets(userId: number | null, clientIp: string | null): ThrottleBucket[] {
  const user: ThrottleBucket[] = userId === null ? [] : [{ bucket: `passkey:user:${userId}`, rule: ACCOUNT_RULE, onSuccess: 'clear' }];
  return [...user, clientBucket(clientIp)];
}

/** The state after reserving one attempt at `now`, admitted or refused (see `admits`). */
export function reserveState(state: ThrottleState | null, now: number, rule: ThrottleRule): ThrottleState {
  if (state && state.lockedUntil !== null && state.lockedUntil > now) return { ...state, failures: state.failures + 1 };
  const fresh = !state || state.lockedUntil !== null || state.windowStartedAt + rule.windowMs <= now;
  const failures = fresh ? 1 : state.failures + 1;
  return { failures, windowStartedAt: fresh ? now : state.windowStartedAt, lockedUntil: failures >= rule.maxFailures ? now + rule.lockMs : null };
}

/** Whether the reservation that produced `state` may go on to verify the password. */
export function admits(state: ThrottleState, rule: ThrottleRule): boolean {
  return state.failures <= rule.maxFailures;
}

/**
 * The state after giving back one reservation made at `reservedAt`. Nothing
 * changes when a newer window has started since (the reservation is no longer
 * in it) or nothing is left to give back. The lock stays only while the count
 * is still at the limit.
 */
export function giveBackState(state: ThrottleState, reservedAt: number, rule: ThrottleRule): ThrottleState {
  if (state.windowStartedAt > reservedAt || state.failures <= 0) return state;
  const failures = state.failures - 1;
  return { failures, windowStartedAt: state.windowStartedAt, lockedUntil: failures >= rule.maxFailures ? state.lockedUntil : null };
}

/** Milliseconds until every bucket is open again; 0 when the attempt may proceed. */
export function retryAfterMs(lockedUntil: (number | null)[], now: number): number {
  return Math.max(0, ...lockedUntil.map((t) => (t === null ? 0 : t - now)));
}
