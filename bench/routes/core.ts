/**
 * Bench-only plumbing every section may use:
 * - GET  /__bench/ping   an empty request, to measure the round-trip cost;
 * - GET  /__bench/clock  whether the workerd clock advances during pure CPU
 *                        work and across awaited Web Crypto calls (deployed
 *                        Workers freeze it until I/O; local workerd may not);
 * - POST /__bench/d1     runs `{statements: [{sql, params}]}` as ONE D1 batch
 *                        (atomic), for seeding; answers `{results: [{changes}]}`.
 */
import { Hono } from 'hono';
import type { Env } from '../../src/env.ts';

export const coreBenchRoutes = new Hono<{ Bindings: Env }>();

coreBenchRoutes.get('/__bench/ping', (c) => c.json({ ok: true }));

coreBenchRoutes.get('/__bench/clock', async (c) => {
  const spinMs = Number(c.req.query('spin_ms') ?? 50);
  // Pure CPU work for ~spinMs of wall time, timed by the clock itself and by
  // an iteration count the caller can compare with its own wall clock.
  const t0 = performance.now();
  const d0 = Date.now();
  let iterations = 0;
  let x = 0;
  const deadline = Date.now() + spinMs;
  while (Date.now() < deadline && iterations < 5e8) {
    x = (x * 31 + iterations) | 0;
    iterations++;
  }
  const cpuPerfMs = performance.now() - t0;
  const cpuDateMs = Date.now() - d0;
  // Awaited Web Crypto work.
  const key = await crypto.subtle.importKey('raw', new Uint8Array(16), 'AES-CBC', false, ['encrypt']);
  const t1 = performance.now();
  for (let i = 0; i < 2000; i++) {
    await crypto.subtle.encrypt({ name: 'AES-CBC', iv: new Uint8Array(16) }, key, new Uint8Array(94));
  }
  const cryptoPerfMs = performance.now() - t1;
  return c.json({
    cpu_loop: { performance_now_ms: cpuPerfMs, date_now_ms: cpuDateMs, iterations, x },
    awaited_subtle_2000: { performance_now_ms: cryptoPerfMs },
  });
});

interface Statement {
  sql: string;
  params?: unknown[];
}

coreBenchRoutes.post('/__bench/d1', async (c) => {
  const { statements } = await c.req.json<{ statements: Statement[] }>();
  if (!Array.isArray(statements) || statements.length === 0) {
    return c.json({ error: { code: 'BAD_REQUEST', message: 'statements: [{sql, params}] required' } }, 400);
  }
  const results = await c.env.DB.batch(statements.map((s) => c.env.DB.prepare(s.sql).bind(...(s.params ?? []))));
  return c.json({ results: results.map((r) => ({ changes: r.meta.changes })) });
});
