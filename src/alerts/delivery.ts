/**
 * Sending the outbox (alerts/outbox.ts): one attempt per due delivery, then
 * the next due time from the retry schedule (messages.ts RETRY_DELAYS_MS).
 *
 * The design: a D1 outbox driven two ways. Right after a check or a test
 * message, the request sends the first attempt itself (so an on-demand check
 * delivers before it answers) and keeps draining in `waitUntil` for up to
 * DRAIN_WINDOW_MS, sleeping until each retry is due: attempts at 0, 5 and 20
 * s. Every cron run (5 minutes) drains whatever is due, so the longer waits
 * (1, 5, 15, 30 minutes, then hourly) are kept by the cron, and a delivery a
 * `waitUntil` could not finish is never lost: the row stays pending.
 *
 * The fetcher is handed in (tests pass a failing receiver); the URL and the
 * signing secret are opened only here, and neither is ever logged or stored
 * in the log (`last_error` is a status or a fixed phrase).
 */
import type { CredentialKeyRing } from '../crypto/key-ring.ts';
import { logLine } from '../kernel/log.ts';
import { openDestinations, type OpenedDestination } from './destination-store.ts';
import { jsonBody, nextAttemptAt, signature, SIGNATURE_HEADER, slackBody } from './messages.ts';
import { claim, dueDeliveries, nextDueAt, recordAttempt, type QueuedDelivery } from './outbox.ts';

export type Fetcher = (request: Request) => Promise<Response>;

export const SEND_TIMEOUT_MS = 10_000;
/** How long a request's `waitUntil` keeps retrying (Workers keep it alive 30 s after the response). */
export const DRAIN_WINDOW_MS = 25_000;

export interface AttemptResult {
  delivered: boolean;
  status: number | null;
  error: string | null;
}

/** One POST of one delivery to its destination. */
export async function sendOnce(dest: OpenedDestination, q: QueuedDelivery, now: number, fetcher: Fetcher): Promise<AttemptResult> {
  const body = dest.kind === 'json' ? jsonBody(q.message, q.id, now) : slackBody(q.message);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'arena-vault-alerts' };
  if (dest.kind === 'json') headers[SIGNATURE_HEADER] = signature(dest.signingSecret, body);
  try {
    const res = await fetcher(new Request(dest.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(SEND_TIMEOUT_MS) }));
    await res.body?.cancel();
    return res.ok
      ? { delivered: true, status: res.status, error: null }
      : { delivered: false, status: res.status, error: `receiver answered HTTP ${res.status}` };
  } catch (e) {
    const timeout = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
    return { delivered: false, status: null, error: timeout ? 'no answer within 10 s' : 'could not connect' };
  }
}

/** Sends every due delivery once (claimed first); returns how many were attempted. */
export async function drainOnce(db: D1Database, ring: CredentialKeyRing, fetcher: Fetcher, now = Date.now(), requestId: string | null = null): Promise<number> {
  const due = await dueDeliveries(db, now);
  if (!due.length) return 0;
  const { opened } = await openDestinations(db, ring);
  let attempted = 0;
  await Promise.all(
    due.map(async (q) => {
      if (!(await claim(db, q, now))) return;
      attempted++;
      const attempt = q.attempts + 1;
      const dest = opened.get(q.destinationId);
      const r: AttemptResult = dest ? await sendOnce(dest, q, now, fetcher) : { delivered: false, status: null, error: 'destination cannot be decrypted' };
      const nextAt = r.delivered ? null : nextAttemptAt(attempt, now);
      await recordAttempt(db, q.id, { ...r, nextAt });
      logLine(
        r.delivered ? 'info' : 'warn',
        {
          event: 'alert.delivery',
          delivery_id: q.id,
          destination_id: q.destinationId,
          alert_id: q.alertId,
          attempt,
          delivered: r.delivered,
          status: r.status,
          gave_up: !r.delivered && nextAt === null,
        },
        requestId,
      );
    }),
  );
  return attempted;
}

/**
 * Drains now, then again as each retry falls due, for up to `windowMs`
 * (for a request's `waitUntil` or the cron handler). `sleep` is handed in so
 * a test can run the schedule without waiting.
 */
export async function drainWithRetries(
  db: D1Database,
  ring: CredentialKeyRing,
  fetcher: Fetcher,
  opts: { windowMs?: number; requestId?: string | null; clock?: () => number; sleep?: (ms: number) => Promise<void> } = {},
): Promise<void> {
  const clock = opts.clock ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const until = clock() + (opts.windowMs ?? DRAIN_WINDOW_MS);
  for (;;) {
    await drainOnce(db, ring, fetcher, clock(), opts.requestId ?? null);
    const next = await nextDueAt(db);
    if (next === null || next > until) return;
    await sleep(Math.max(0, next - clock()));
  }
}
