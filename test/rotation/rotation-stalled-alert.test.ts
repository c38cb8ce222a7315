/**
 * `rotation_stalled` end to end: the real KeyRotation object (this project's
 * rotated ring), real D1, POST /api/alerts/check and a destination. A fault
 * hook holds the rotation's first step (phase `locking`, its phase time
 * stamped by the object at start); the clock every part of this isolate reads
 * (the test, the Worker, the object) then moves 61 minutes on, so the phase
 * has not changed for over an hour. The alert opens and is delivered once;
 * repeated checks add nothing; released, the rotation finishes and the alert
 * resolves with one "resolved" delivery.
 */
import { env } from 'cloudflare:test';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { setRotationFaultHook } from '../../src/rotation/faults.ts';
import { ROTATION_PATH, admin, callJson, resetWorld, seedRows, storedState, waitFor } from './support.ts';

const RECEIVER = 'https://receiver.alerts.test/hook';

beforeEach(async () => {
  await resetWorld();
  for (const t of ['alert_deliveries', 'alert_destinations', 'alerts', 'query_designs']) await env.DB.prepare(`DELETE FROM ${t}`).run();
});

afterEach(() => {
  setRotationFaultHook(null);
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** A receiver stand-in: the Worker's outbound fetch to RECEIVER answers 200 and is recorded. */
function receiver(): string[] {
  const got: string[] = [];
  const real = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const req = new Request(input, init);
    if (!req.url.startsWith(RECEIVER)) return real(input, init);
    got.push(await req.text());
    return new Response('ok');
  });
  return got;
}

/** Holds the rotation at its first fault point until `release()` (a real-timer safety net ends it). */
function holdFirstStep(): { reached: Promise<void>; release(): void } {
  let release!: () => void;
  let reached!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const reachedP = new Promise<void>((r) => (reached = r));
  let held = false;
  setRotationFaultHook(async () => {
    if (held) return;
    held = true;
    reached();
    await Promise.race([gate, new Promise((r) => setTimeout(r, 20_000))]);
  });
  return { reached: reachedP, release: () => release() };
}

type Alert = { kind: string; subject: string };

it('opens when a phase is unchanged for over an hour, is delivered once, and resolves once the rotation finishes', async () => {
  await seedRows(5);
  let user = await admin();
  const check = async (): Promise<Alert[]> => {
    const r = await callJson('POST', '/api/alerts/check', user.headers);
    expect(r.status).toBe(200);
    return r.body.alerts as Alert[];
  };
  const got = receiver();
  const dest = await callJson('POST', '/api/alerts/destinations', user.headers, { kind: 'json', name: 'ops', url: RECEIVER });
  expect(dest.status).toBe(201);

  const hold = holdFirstStep();
  const start = await callJson('POST', ROTATION_PATH, user.headers, { batch_size: 50 });
  expect(start.status).toBe(202);
  await hold.reached;
  const held = (await storedState())!;
  expect(held.phase).toBe('locking');
  const runId = held.runId;

  // Fresh: no alert.
  expect((await check()).filter((a) => a.kind === 'rotation_stalled')).toEqual([]);

  // The same phase, 61 minutes later.
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(held.updatedAt + 61 * 60_000);
  const before = user;
  user = await admin(); // the first session has idled out by then
  const stalled = (await check()).filter((a) => a.kind === 'rotation_stalled');
  expect(stalled.map((a) => a.subject)).toEqual([`rotation:${runId}`]);
  expect((await check()).filter((a) => a.kind === 'rotation_stalled')).toHaveLength(1); // stays open, not again
  const opened = got.map((b) => JSON.parse(b)).filter((b) => b.alert?.kind === 'rotation_stalled');
  expect(opened.map((b) => b.event)).toEqual(['opened']);

  // Released, the rotation moves on and finishes.
  vi.useRealTimers();
  user = before;
  hold.release();
  await waitFor((s) => s.phase === 'done' && s.finalized);
  expect((await check()).filter((a) => a.kind === 'rotation_stalled')).toEqual([]);
  expect(await check()).toEqual([]);
  const all = got.map((b) => JSON.parse(b)).filter((b) => b.alert?.kind === 'rotation_stalled');
  expect(all.map((b) => b.event)).toEqual(['opened', 'resolved']);
  const rows = await env.DB.prepare("SELECT kind, resolved_at FROM alerts WHERE kind = 'rotation_stalled'").all<{ resolved_at: number | null }>();
  expect(rows.results.map((r) => r.resolved_at !== null)).toEqual([true]);
});
