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
import { Hono } from 'hono';
import worker from '../src/index.ts';
import type { Env } from '../src/env.ts';
import { coreBenchRoutes } from './routes/core.ts';
import { fernetBenchRoutes } from './routes/fernet.ts';
import { poolBenchRoutes } from './routes/pool.ts';
import { loginBenchRoutes } from './routes/login.ts';

export { CredentialPool, KeyRotation } from '../src/index.ts';

const BENCH_ROUTES: Hono<{ Bindings: Env }>[] = [coreBenchRoutes, fernetBenchRoutes, loginBenchRoutes, poolBenchRoutes];

const bench = new Hono<{ Bindings: Env }>();
for (const routes of BENCH_ROUTES) bench.route('/', routes);
bench.onError((err, c) => c.json({ error: { code: 'BENCH_FAILED', message: String(err?.message ?? err) } }, 500));

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    const { pathname } = new URL(request.url);
    if (pathname.startsWith('/__bench/')) return bench.fetch(request, env, ctx);
    return worker.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
