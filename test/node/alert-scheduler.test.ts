// The self-hosted editions' cron (selfhost/scheduler.ts): the setting, the
// timer (a failing run is logged and the next one runs; stop waits for a run
// in flight), and the Node edition's server opening an alert on its own, with
// nobody calling POST /api/alerts/check.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ALERT_CHECK_INTERVAL_VAR,
  alertCheckIntervalMs,
  DEFAULT_ALERT_CHECK_INTERVAL_SECONDS,
  SELFHOST_CRON,
  startScheduler,
  type SchedulerTimers,
} from '../../selfhost/scheduler.ts';
import { serverSettings, StartError } from '../../selfhost/start.ts';
import { ROOT } from '../../selfhost/vault.ts';
import { secretsInFiles, seedOldKeyRows } from '../support/selfhost-server.ts';
import { buildOnce, startNodeServer } from './node-edition/server-process.ts';

describe('ALERT_CHECK_INTERVAL_SECONDS', () => {
  it('defaults to the Worker cron (wrangler.toml), takes seconds, and 0 / off turn it off', () => {
    const crons = /^crons\s*=\s*\["([^"]+)"\]/m.exec(readFileSync(join(ROOT, 'wrangler.toml'), 'utf8'))![1];
    expect(crons).toBe(SELFHOST_CRON);
    expect(Number(/^\*\/(\d+) \* \* \* \*$/.exec(crons!)![1]) * 60).toBe(DEFAULT_ALERT_CHECK_INTERVAL_SECONDS);
    expect(alertCheckIntervalMs({})).toBe(300_000);
    expect(alertCheckIntervalMs({ [ALERT_CHECK_INTERVAL_VAR]: '2' })).toBe(2000);
    for (const off of ['0', 'off', 'OFF']) expect(alertCheckIntervalMs({ [ALERT_CHECK_INTERVAL_VAR]: off })).toBeNull();
    expect(serverSettings({}).alertCheckIntervalMs).toBe(300_000);
    const bad = () => serverSettings({ [ALERT_CHECK_INTERVAL_VAR]: '5m-secret' });
    expect(bad).toThrow(StartError);
    expect(bad).toThrow(/ALERT_CHECK_INTERVAL_SECONDS must be a whole number of seconds/);
    expect(bad).not.toThrow(/5m-secret/);
  });
});

/** Timers a test fires by hand: no real waiting, no timing threshold. */
function manualTimers() {
  let pending: { fn: () => void; ms: number } | null = null;
  let clock = 1_000;
  const timers: SchedulerTimers = {
    setTimeout: (fn, ms) => (pending = { fn, ms }),
    clearTimeout: () => (pending = null),
    now: () => clock,
  };
  return {
    timers,
    pendingMs: () => pending?.ms ?? null,
    fire() {
      const p = pending!;
      pending = null;
      clock += p.ms;
      p.fn();
    },
  };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('startScheduler', () => {
  it('runs every interval, one run at a time; a failing run is logged and the next runs; stop cancels and waits', async () => {
    const t = manualTimers();
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((s: unknown) => void errors.push(String(s)));
    const runs: number[] = [];
    let finish: (() => void) | null = null;
    const scheduler = startScheduler(
      async (at) => {
        runs.push(at);
        if (runs.length === 1) throw new TypeError('boom with a value in it');
        if (runs.length === 3) await new Promise<void>((r) => (finish = r));
      },
      60_000,
      t.timers,
    );
    expect(runs).toEqual([]); // the first run waits an interval
    expect(t.pendingMs()).toBe(60_000);
    t.fire();
    await settle();
    expect(runs).toEqual([61_000]);
    expect(errors).toHaveLength(1);
    expect(JSON.parse(errors[0]!)).toMatchObject({ level: 'error', event: 'scheduler.run_failed', error_class: 'TypeError' });
    expect(errors[0]).not.toContain('boom');
    expect(t.pendingMs()).toBe(60_000); // not fatal: the next is planned
    t.fire();
    await settle();
    expect(runs).toHaveLength(2);
    t.fire();
    await settle();
    expect(runs).toHaveLength(3);
    expect(t.pendingMs()).toBeNull(); // no second run while one is in flight
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(false); // waits for the run in flight
    finish!();
    await stopping;
    expect(t.pendingMs()).toBeNull(); // and plans none after it
    vi.restoreAllMocks();
  });
});

describe('Node edition', () => {
  let dir: string;
  beforeAll(async () => {
    await buildOnce();
    dir = mkdtempSync(join(tmpdir(), 'av-node-alerts-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the alert checks on its own timer and stops cleanly', async () => {
    const { paths, newKey, base } = secretsInFiles(dir);
    const server = await startNodeServer({ ...base, [ALERT_CHECK_INTERVAL_VAR]: '1' });
    try {
      expect(server.output()).toContain('alert checks: every 1 s (ALERT_CHECK_INTERVAL_SECONDS)');
      // A row under a key the server's ring does not hold: a lost_key alert, once a check runs.
      await seedOldKeyRows(paths.database, newKey, 1);
      const db = new DatabaseSync(paths.database);
      let open: { kind: string }[] = [];
      try {
        for (let i = 0; i < 200 && !open.some((a) => a.kind === 'lost_key'); i++) {
          await new Promise((r) => setTimeout(r, 100));
          open = db.prepare('SELECT kind FROM alerts WHERE resolved_at IS NULL').all() as { kind: string }[];
        }
      } finally {
        db.close();
      }
      expect(open.map((a) => a.kind)).toContain('lost_key');
      expect(server.output()).toMatch(/"request_id":"cron-[0-9a-f-]{36}","event":"alerts.check"/);
    } finally {
      expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    }
    expect(server.output()).not.toContain('scheduler.run_failed');
  });
});
