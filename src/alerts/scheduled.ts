/**
 * The cron trigger's work (wrangler.toml `[triggers] crons`, every 5
 * minutes): with DAILY_PROVIDER_CHECKS, the next batch of the daily live
 * checks (checks/daily.ts; a failure there is logged and the alert checks
 * still run); then the alert checks, then drain the outbox (every due retry,
 * then the quick retries of what this run queued). Each run gets its own id,
 * `cron-<uuid>`, written in its log lines as `request_id` like a request's,
 * and set as the log context (kernel/log.ts), so the Durable Objects' lines
 * while serving the run carry it too.
 */
import type { Env } from '../env.ts';
import { loadConfig } from '../config.ts';
import { errorOrigin, logLine, withLogContext } from '../kernel/log.ts';
import { runCheck } from './check.ts';
import { runDailyChecks } from '../checks/daily.ts';
import { drainWithRetries, type Fetcher } from './delivery.ts';

export async function scheduledAlertChecks(env: Env, scheduledTime: number, fetcher: Fetcher = (r) => fetch(r)): Promise<void> {
  const runId = `cron-${crypto.randomUUID()}`;
  // The run's log context: the pool and rotation objects' lines while serving this run carry its id too.
  await withLogContext({ requestId: runId }, () => checkAndDeliver(env, scheduledTime, fetcher, runId));
}

async function checkAndDeliver(env: Env, scheduledTime: number, fetcher: Fetcher, runId: string): Promise<void> {
  const now = Math.max(scheduledTime, Date.now());
  const providerChecks = await runDailyChecks(env, now).catch((e: unknown) => {
    logLine('error', { event: 'checks.daily_failed', ...errorOrigin(e) }, runId);
    return 0;
  });
  try {
    const ring = (await loadConfig(env)).credentialKeys;
    const run = await runCheck(env, ring, now);
    logLine(
      'info',
      { event: 'alerts.check', provider_checks: providerChecks, opened: run.opened.length, resolved: run.resolved.length, queued: run.queued.length },
      runId,
    );
    await drainWithRetries(env.DB, ring, fetcher, { requestId: runId });
  } catch (e) {
    logLine('error', { event: 'alerts.check_failed', ...errorOrigin(e) }, runId);
  }
}
