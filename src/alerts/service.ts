/**
 * The alert actions the API and the pages share: check now, send a test
 * message, silence. Each queues what it has to send, makes the first attempt
 * before it answers (so "at once" means within the request), and leaves the
 * quick retries to the request's `waitUntil` (delivery.ts).
 */
import type { Context } from 'hono';
import type { AppEnv } from '../http/types.ts';
import { VaultError } from '../errors.ts';
import { runCheck } from './check.ts';
import { drainOnce, drainWithRetries, type Fetcher } from './delivery.ts';
import { findDestination } from './destination-store.ts';
import { enqueue, findDelivery, type DeliveryLogEntry } from './outbox.ts';
import { listOpenAlerts, type AlertRecord } from './store.ts';

const outbound: Fetcher = (r) => fetch(r);

/** Keeps retrying after the answer where the runtime allows it; otherwise the cron picks the rest up. */
function retryInBackground(c: Context<AppEnv>, fetcher: Fetcher): void {
  const work = drainWithRetries(c.env.DB, c.var.config.credentialKeys, fetcher, { requestId: c.var.requestId }).catch(() => undefined);
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    void work; // no ExecutionContext (a self-hosted edition): the promise runs on its own
  }
}

/** Runs the checks now, sends their messages' first attempts (and every due retry), answers the open alerts. */
export async function checkNow(c: Context<AppEnv>, fetcher: Fetcher = outbound): Promise<AlertRecord[]> {
  const ring = c.var.config.credentialKeys;
  await runCheck(c.env, ring);
  // What this check queued, and any earlier retry that is due (the self-hosted editions have no cron).
  await drainOnce(c.env.DB, ring, fetcher, Date.now(), c.var.requestId);
  retryInBackground(c, fetcher);
  return listOpenAlerts(c.env.DB);
}

/** Queues a test message to one destination and makes its first attempt; answers the delivery as logged. */
export async function sendTest(c: Context<AppEnv>, destinationId: number, fetcher: Fetcher = outbound): Promise<DeliveryLogEntry> {
  if (!(await findDestination(c.env.DB, destinationId))) throw new VaultError('NOT_FOUND', 'No such alert destination.');
  const now = Date.now();
  const [id] = await enqueue(c.env.DB, [destinationId], null, { event: 'test', alert: null }, now);
  await drainOnce(c.env.DB, c.var.config.credentialKeys, fetcher, now, c.var.requestId);
  retryInBackground(c, fetcher);
  return (await findDelivery(c.env.DB, id!))!;
}
