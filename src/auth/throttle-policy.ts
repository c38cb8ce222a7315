/**
 * Brute-force limits for logins, as pure rules. Failed logins are counted in
 * two buckets at once: the account (the email typed, whether or not it
 * exists) and the client (CF-Connecting-IP). A bucket that reaches
 * `maxFailures` within `windowMs` is locked for `lockMs`; while any bucket of a
 * login is locked the answer is 429 with Retry-After and the password is not
 * even checked. The D1 adapter (login-throttle.ts) runs the same rule as one
 * atomic upsert; `nextThrottleState` is its reference, tested side by side.
 */

export interface ThrottleRule {
  maxFailures: number;
  windowMs: number;
  lockMs: number;
}

export interface ThrottleState {
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
}

/** The buckets a login attempt counts against. The email is the one typed, normalised. */
export function throttleBuckets(email: string, clientIp: string | null): ThrottleBucket[] {
  return [
    { bucket: `account:${email.slice(0, 254)}`, rule: ACCOUNT_RULE },
    { bucket: `client:${(clientIp ?? 'unknown').slice(0, 64)}`, rule: CLIENT_RULE },
  ];
}

/** The state after one more failure at `now`. */
export function nextThrottleState(state: ThrottleState | null, now: number, rule: ThrottleRule): ThrottleState {
  const stale = !state || state.windowStartedAt + rule.windowMs <= now;
  const failures = stale ? 1 : state.failures + 1;
  const windowStartedAt = stale ? now : state.windowStartedAt;
  const lockedUntil = failures >= rule.maxFailures ? now + rule.lockMs : stale ? null : state.lockedUntil;
  return { failures, windowStartedAt, lockedUntil };
}

/** Milliseconds until every bucket is open again; 0 when the login may proceed. */
export function retryAfterMs(lockedUntil: (number | null)[], now: number): number {
  return Math.max(0, ...lockedUntil.map((t) => (t === null ? 0 : t - now)));
}
