/**
 * Bench-only password-hashing routes: GET /__bench/login/:op?n=N runs N
 * sequential operations inside workerd and answers `{elapsed_ms}` by the
 * workerd clock:
 *   verify       verifyPassword with the right password (what one login costs)
 *   hash         hashPassword with the current parameters (user create, upgrade)
 *   pbkdf2_100k  PBKDF2-SHA256 at the production cap, for comparison
 */
import { Hono } from 'hono';
import type { Env } from '../../src/env.ts';
import { CURRENT_PASSWORD_PARAMS, PBKDF2_MAX_ITERATIONS, hashPassword, verifyPassword } from '../../src/crypto/password.ts';

const PASSWORD = 'correct horse battery staple';
let stored: Promise<{ scrypt: string; pbkdf2: string }> | undefined;

const setUp = () =>
  (stored ??= (async () => ({
    scrypt: await hashPassword(PASSWORD),
    pbkdf2: await hashPassword(PASSWORD, { alg: 'pbkdf2-sha256', i: PBKDF2_MAX_ITERATIONS }),
  }))());

const OPS = {
  verify: async (h: { scrypt: string }) => {
    if (!(await verifyPassword(PASSWORD, h.scrypt))) throw new Error('verify failed');
  },
  hash: async () => void (await hashPassword(PASSWORD)),
  pbkdf2_100k: async (h: { pbkdf2: string }) => {
    if (!(await verifyPassword(PASSWORD, h.pbkdf2))) throw new Error('verify failed');
  },
} satisfies Record<string, (h: { scrypt: string; pbkdf2: string }) => Promise<void>>;

export const loginBenchRoutes = new Hono<{ Bindings: Env }>();

loginBenchRoutes.get('/__bench/login/:op', async (c) => {
  const op = c.req.param('op');
  if (!(op in OPS)) return c.json({ error: { code: 'NOT_FOUND', message: `op must be one of ${Object.keys(OPS).join(', ')}` } }, 404);
  const n = Math.max(1, Math.min(100, Number(c.req.query('n') ?? 5) | 0));
  const h = await setUp();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await OPS[op as keyof typeof OPS](h);
  return c.json({ op, n, elapsed_ms: performance.now() - t0, params: CURRENT_PASSWORD_PARAMS });
});
