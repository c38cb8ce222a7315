/**
 * Records which SECRET_KEY signed access tokens (table signing_key_usage) so
 * /api/health can say, honestly, when SECRET_KEY_PREVIOUS can be removed: the
 * vault cannot know when an operator rotated the key, but it does know the
 * latest expiry of every token each key signed, because every token it issues
 * (login, sliding renewal) writes that down in the same step.
 *
 * The decision itself (`previousKeyRemoval`) is a pure function.
 */
import { inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import type { Config } from '../config.ts';
import { signingKeyUsage } from '../db/schema.ts';
import { CLOCK_LEEWAY_SECONDS, type IssuedToken } from './tokens.ts';

/** An upsert noting that `issued` was signed at `nowMs`; batch it with the write that issues the token. */
export function signingKeyUseStatement(db: Db, issued: IssuedToken, nowMs: number) {
  const expiresAt = issued.expiresAt * 1000;
  return db
    .insert(signingKeyUsage)
    .values({ kid: issued.kid, firstSignedAt: nowMs, lastSignedAt: nowMs, lastExpiresAt: expiresAt })
    .onConflictDoUpdate({
      target: signingKeyUsage.kid,
      set: {
        lastSignedAt: sql`max(${signingKeyUsage.lastSignedAt}, ${nowMs})`,
        lastExpiresAt: sql`max(${signingKeyUsage.lastExpiresAt}, ${expiresAt})`,
      },
    });
}

interface SigningKeyUsage {
  kid: string;
  firstSignedAt: number;
  lastSignedAt: number;
  lastExpiresAt: number;
}

type RemovalBasis =
  /** no SECRET_KEY_PREVIOUS is configured */
  | 'no_previous_key'
  /** the latest expiry of a token each previous key signed, plus the leeway */
  | 'recorded_token_expiry'
  /** a previous key signed nothing recorded; the current key's first token + one lifetime + leeway */
  | 'current_key_first_use'
  /** neither is known yet: the current key has not signed a token */
  | 'unknown';

interface PreviousKeyRemoval {
  /** Unix ms after which no token signed by a previous key can still verify; null if none or unknown. */
  removableAfter: number | null;
  basis: RemovalBasis;
}

/**
 * When can the previous keys go? After the last token any of them signed has
 * expired (plus the verification leeway). A previous key with no record (it
 * signed only before this bookkeeping existed) is bounded by the moment the
 * current key first signed: from then on every isolate signs with the current
 * key or is recorded doing otherwise.
 */
export function previousKeyRemoval(
  currentKid: string,
  previousKids: readonly string[],
  usage: readonly SigningKeyUsage[],
  lifetimeSeconds: number,
  leewaySeconds = CLOCK_LEEWAY_SECONDS,
): PreviousKeyRemoval {
  if (previousKids.length === 0) return { removableAfter: null, basis: 'no_previous_key' };
  const byKid = new Map(usage.map((u) => [u.kid, u]));
  const leewayMs = leewaySeconds * 1000;
  const recorded = previousKids.map((k) => byKid.get(k));
  const latestRecorded = Math.max(0, ...recorded.map((u) => u?.lastExpiresAt ?? 0));
  if (recorded.every((u) => u !== undefined)) return { removableAfter: latestRecorded + leewayMs, basis: 'recorded_token_expiry' };
  const current = byKid.get(currentKid);
  if (!current) return { removableAfter: null, basis: 'unknown' };
  const bound = Math.max(latestRecorded, current.firstSignedAt + lifetimeSeconds * 1000);
  return { removableAfter: bound + leewayMs, basis: 'current_key_first_use' };
}

/** The health report for SECRET_KEY: key counts and when the previous key may be removed. */
export async function signingKeyHealth(db: Db, config: Config, nowMs = Date.now()) {
  const ring = config.signingKeys;
  const previousKids = ring.previous.map((k) => k.kid);
  const usage = await db
    .select()
    .from(signingKeyUsage)
    .where(inArray(signingKeyUsage.kid, [ring.current.kid, ...previousKids]));
  const removal = previousKeyRemoval(ring.current.kid, previousKids, usage, config.accessTokenMinutes * 60);
  return {
    verification_keys: ring.kids.length,
    previous_key_removable_after: removal.removableAfter === null ? null : new Date(removal.removableAfter).toISOString(),
    // null: nothing to remove; false while a live token may still need the previous key.
    previous_key_removable_now: removal.basis === 'no_previous_key' ? null : removal.removableAfter !== null && nowMs >= removal.removableAfter,
    previous_key_removal_basis: removal.basis,
  };
}
