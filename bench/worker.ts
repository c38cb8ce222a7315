/**
 * The benchmark Worker: the real arena-vault Worker (same app, same Durable
 * Objects, same bindings) plus bench-only routes under /__bench/*. It exists
 * only for `npm run bench` (bench/wrangler.toml); src/index.ts never imports
 * it, so the production Worker has no /__bench routes.
 *
 * To add bench-only routes for a new section: write bench/routes/<name>.ts
 * exporting a Hono app whose paths start with /__bench/<name>, and list it in
 * BENCH_ROUTES below.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Hono } from 'hono';
import worker from '../src/index.ts';
import type { Env } from '../src/env.ts';
import { coreBenchRoutes } from './routes/core.ts';
import { fernetBenchRoutes } from './routes/fernet.ts';
import { poolBenchRoutes } from './routes/pool.ts';
import { loginBenchRoutes } from './routes/login.ts';

import { CredentialPool as RealCredentialPool } from '../src/index.ts';
import { countingD1, type D1Counter } from './d1-counter.ts';
import { POOL_OBJECT_NAME } from '../src/pool/lock-api.ts';

export { KeyRotation } from '../src/index.ts';

/**
 * D1 statements run by this Worker (app and bench routes) and, below, by the
 * pool object: both bindings are wrapped (bench/d1-counter.ts), so the
 * pool-rest section can count the D1 queries of an acquire+release cycle.
 */
const workerD1: D1Counter = { queries: 0 };
const countingBindings = new WeakMap<D1Database, D1Database>();

/** Set while the pool's alarm runs: its statements (the coalesced usage flush) are off the request path. */
const inAlarm = new AsyncLocalStorage<true>();

/** The real CredentialPool with a counting D1 binding, and an empty RPC for the ceiling. */
export class CredentialPool extends RealCredentialPool {
  readonly #d1: D1Counter;

  constructor(ctx: DurableObjectState, env: Env) {
    const d1: D1Counter = { queries: 0, offRequestPath: 0 };
    super(ctx, { ...env, DB: countingD1(env.DB, d1, () => inAlarm.getStore() === true) });
    this.#d1 = d1;
  }

  override alarm(): Promise<void> {
    return inAlarm.run(true, () => super.alarm());
  }

  /** Does nothing: the cost of one Durable Object call through the same stack. */
  async benchEmpty(): Promise<null> {
    return null;
  }

  /** Statements on the request path, and those the alarm ran. */
  async benchD1Queries(): Promise<{ requestPath: number; alarm: number }> {
    return { requestPath: this.#d1.queries, alarm: this.#d1.offRequestPath ?? 0 };
  }
}

type BenchPoolStub = DurableObjectStub & { benchEmpty(): Promise<null>; benchD1Queries(): Promise<{ requestPath: number; alarm: number }> };
const benchPool = (env: Env): BenchPoolStub => env.POOL.get(env.POOL.idFromName(POOL_OBJECT_NAME)) as unknown as BenchPoolStub;

const BENCH_ROUTES: Hono<{ Bindings: Env }>[] = [coreBenchRoutes, fernetBenchRoutes, loginBenchRoutes, poolBenchRoutes];

const bench = new Hono<{ Bindings: Env }>();
for (const routes of BENCH_ROUTES) bench.route('/', routes);
// The ceiling for pool-rest: one empty Durable Object RPC per HTTP request.
bench.post('/__bench/pool-rest/empty', async (c) => c.json({ ok: await benchPool(c.env).benchEmpty() }));
// D1 statements so far: by this Worker, by the pool object on its request path, and by the pool's alarm.
bench.get('/__bench/pool-rest/d1-queries', async (c) => {
  const pool = await benchPool(c.env).benchD1Queries();
  return c.json({ worker: workerD1.queries, pool: pool.requestPath, pool_alarm: pool.alarm });
});
bench.onError((err, c) => c.json({ error: { code: 'BENCH_FAILED', message: String(err?.message ?? err) } }, 500));

export default {
  fetch(request: Request, rawEnv: Env, ctx: ExecutionContext) {
    let counting = countingBindings.get(rawEnv.DB);
    if (!counting) {
      counting = countingD1(rawEnv.DB, workerD1);
      countingBindings.set(rawEnv.DB, counting);
    }
    const env = { ...rawEnv, DB: counting };
    const { pathname } = new URL(request.url);
    if (pathname.startsWith('/__bench/')) return bench.fetch(request, env, ctx);
    return worker.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
