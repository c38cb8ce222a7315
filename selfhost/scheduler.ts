/**
 * The self-hosted editions' cron: Cloudflare runs the Worker's `scheduled`
 * handler (src/index.ts: the alert checks and the delivery outbox) on
 * wrangler.toml's `[triggers] crons` (every 5 minutes); Node and Deno have no
 * cron trigger, so the server runs that same handler on a plain timer, shared
 * by both editions (start.ts reads the setting, vault.ts starts and stops it).
 *
 * ALERT_CHECK_INTERVAL_SECONDS: seconds between runs, default 300 (the
 * Worker's `*\/5 * * * *`); `0` or `off` turns it off. One run at a time: the
 * next is timed from the end of the last. A run that fails is logged (by its
 * error's class and where it was thrown, never a message) and the next one
 * runs as planned. `stop()` cancels the timer and waits for a run in flight.
 */
import { errorOrigin, logLine } from '../src/kernel/log.ts';

export const ALERT_CHECK_INTERVAL_VAR = 'ALERT_CHECK_INTERVAL_SECONDS';
/** wrangler.toml's `crons = ["*\/5 * * * *"]` (test/node/alert-scheduler.test.ts holds the two together). */
export const DEFAULT_ALERT_CHECK_INTERVAL_SECONDS = 300;
/** The cron string the handler is told it runs for, as on Cloudflare. */
export const SELFHOST_CRON = '*/5 * * * *';

/** The interval in ms, or null when off; a bad value throws a message that names the variable (never echoes it). */
export function alertCheckIntervalMs(env: Record<string, string | undefined>): number | null {
  const raw = env[ALERT_CHECK_INTERVAL_VAR]?.trim();
  if (raw === undefined || raw === '') return DEFAULT_ALERT_CHECK_INTERVAL_SECONDS * 1000;
  if (raw === '0' || raw.toLowerCase() === 'off') return null;
  if (!/^\d{1,7}$/.test(raw)) throw new RangeError(`${ALERT_CHECK_INTERVAL_VAR} must be a whole number of seconds, or 0 / off to turn the alert checks off`);
  return Number(raw) * 1000;
}

export interface Scheduler {
  /** Cancels the next run and waits for one in flight. */
  stop(): Promise<void>;
}

/** The clock the scheduler waits on (tests hand in their own). */
export interface SchedulerTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

const realTimers: SchedulerTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};

/** Runs `run(scheduledTime)` every `intervalMs`, the first one an interval after the start. */
export function startScheduler(run: (scheduledTime: number) => Promise<void>, intervalMs: number, timers: SchedulerTimers = realTimers): Scheduler {
  let stopped = false;
  let handle: unknown = null;
  let inFlight: Promise<void> | null = null;
  const next = () => {
    if (stopped) return;
    handle = timers.setTimeout(() => {
      handle = null;
      const runId = `scheduler-${crypto.randomUUID()}`;
      inFlight = run(timers.now())
        .catch((e: unknown) => logLine('error', { event: 'scheduler.run_failed', ...errorOrigin(e) }, runId))
        .finally(() => {
          inFlight = null;
          next();
        });
    }, intervalMs);
  };
  next();
  return {
    async stop() {
      stopped = true;
      if (handle !== null) timers.clearTimeout(handle);
      handle = null;
      await inFlight;
    },
  };
}
