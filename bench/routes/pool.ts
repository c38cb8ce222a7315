/**
 * Bench-only pool routes, timed inside workerd (the Worker → CredentialPool
 * Durable Object hop, D1 reads, decrypt), without HTTP or API-key auth:
 * - GET /__bench/pool/cycle?platform&tier&n=N    N sequential acquire+release round trips → {elapsed_ms}
 * - GET /__bench/pool/acquire?platform&tier&n=N  N acquires, each timed (releases untimed)
 *                                                → {elapsed_ms, p50_ms, p99_ms}
 */
import { Hono } from 'hono';
import type { Env } from '../../src/env.ts';
import { pool } from '../../src/pool/client.ts';
import { AcquireBody, poolInput } from '../../src/pool/requests.ts';

const HOLDER = 'bench';

export const poolBenchRoutes = new Hono<{ Bindings: Env }>();

function setUp(c: { req: { query(k: string): string | undefined } }) {
  const n = Math.max(1, Math.min(1_000_000, Number(c.req.query('n') ?? 100) | 0));
  const req = poolInput(AcquireBody, { platform: c.req.query('platform') ?? 'serper', tier: c.req.query('tier') ?? 'medium', task_id: 'bench' });
  return { n, req };
}

poolBenchRoutes.get('/__bench/pool/cycle', async (c) => {
  const { n, req } = setUp(c);
  const p = pool(c.env);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const lease = await p.acquire(req, HOLDER);
    await p.release({ ok: true, value: { lease_id: lease.lease_id, units_used: 1 } }, HOLDER);
  }
  return c.json({ elapsed_ms: performance.now() - t0 });
});

poolBenchRoutes.get('/__bench/pool/acquire', async (c) => {
  const { n, req } = setUp(c);
  const p = pool(c.env);
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const lease = await p.acquire(req, HOLDER);
    times.push(performance.now() - t);
    await p.release({ ok: true, value: { lease_id: lease.lease_id } }, HOLDER);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]!;
  return c.json({ elapsed_ms: times.reduce((a, b) => a + b, 0), p50_ms: at(0.5), p99_ms: at(0.99) });
});
