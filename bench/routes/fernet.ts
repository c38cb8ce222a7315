/**
 * Bench-only Fernet routes: GET /__bench/fernet/:op?n=N runs N sequential
 * operations (encrypt | decrypt | rotate) on the 94-byte JSON credential
 * inside workerd and answers how long they took by the workerd clock.
 * Keys are generated once per isolate and imported once (as the vault does),
 * so only the per-token work is measured.
 */
import { Hono } from 'hono';
import type { Env } from '../../src/env.ts';
import { Fernet, MultiFernet } from '../../src/crypto/fernet.ts';
import { CREDENTIAL_94 } from './payloads.ts';

interface Fixture {
  current: Fernet;
  ring: MultiFernet;
  token: string;
  oldToken: string;
}

let fixture: Promise<Fixture> | undefined;

function setUp(): Promise<Fixture> {
  fixture ??= (async () => {
    const [current, previous] = await Promise.all([Fernet.fromKey(Fernet.generateKey()), Fernet.fromKey(Fernet.generateKey())]);
    return {
      current,
      ring: new MultiFernet([current, previous]),
      token: await current.encrypt(CREDENTIAL_94),
      oldToken: await previous.encrypt(CREDENTIAL_94),
    };
  })();
  return fixture;
}

const OPS = {
  encrypt: (f: Fixture) => f.current.encrypt(CREDENTIAL_94),
  decrypt: (f: Fixture) => f.current.decrypt(f.token),
  rotate: (f: Fixture) => f.ring.rotate(f.oldToken),
} satisfies Record<string, (f: Fixture) => Promise<unknown>>;

export const fernetBenchRoutes = new Hono<{ Bindings: Env }>();

fernetBenchRoutes.get('/__bench/fernet/:op', async (c) => {
  const op = c.req.param('op');
  if (!(op in OPS)) return c.json({ error: { code: 'NOT_FOUND', message: `op must be one of ${Object.keys(OPS).join(', ')}` } }, 404);
  const run = OPS[op as keyof typeof OPS];
  const n = Math.max(1, Math.min(10_000_000, Number(c.req.query('n') ?? 1000) | 0));
  const f = await setUp();
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const out = await run(f);
    sink += (out as { length: number }).length;
  }
  const elapsedMs = performance.now() - t0;
  return c.json({ op, n, elapsed_ms: elapsedMs, sink });
});
