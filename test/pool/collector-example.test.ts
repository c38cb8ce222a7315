// The collector example of docs/api/pool.md and the README (collector-example.ts,
// shown there verbatim: test/node/collector-docs.test.ts) runs against the real
// PoolEntrypoint over a loopback service binding, with real D1 and the real pool
// object; only serper, the third party, is a stub.
import { env } from 'cloudflare:test';
import { exports } from 'cloudflare:workers';
import { beforeEach, describe, expect, it } from 'vitest';
import { poolStub } from '../../src/pool/lock-api.ts';
import type { PoolService } from '../../src/pool/types.ts';
import { searchSerper, type Env } from './collector-example.ts';
import { flushPoolUsage, resetPool, seedCredential } from './support.ts';

const collectorEnv: Env = { VAULT_POOL: (exports as unknown as { PoolEntrypoint: PoolService }).PoolEntrypoint };
const KEY = 'CANARY-serper-example-key';

/** serper as the stub answers it, recording the key each call carried. */
function serper(status: number, headers: Record<string, string> = {}) {
  const keys: (string | null)[] = [];
  const fetcher = (async (_url: string, init?: RequestInit) => {
    keys.push(new Headers(init?.headers).get('x-api-key'));
    return new Response(JSON.stringify({ organic: [{ title: 'result' }] }), { status, headers });
  }) as typeof fetch;
  return { fetcher, keys };
}

let id: number;
beforeEach(async () => {
  await env.DB.prepare('DELETE FROM api_credentials').run();
  await resetPool();
  id = await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: KEY } });
});

describe('the documented collector (searchSerper)', () => {
  it('searches with the leased key and releases the lease', async () => {
    const s = serper(200);
    expect(await searchSerper(collectorEnv, 'climate', 'doc-1', s.fetcher)).toEqual({ results: { organic: [{ title: 'result' }] } });
    expect(s.keys).toEqual([KEY]);
    // Released: the only credential is leased again at once.
    expect(await searchSerper(collectorEnv, 'climate', 'doc-2', s.fetcher)).toHaveProperty('results');
  });

  it('reports a 429 with the platform Retry-After, and the pool then says when to come back', async () => {
    expect(await searchSerper(collectorEnv, 'q', 'doc-3', serper(429, { 'retry-after': '7' }).fetcher)).toEqual({ retryAfter: 7 });
    const s = serper(200);
    const next = await searchSerper(collectorEnv, 'q', 'doc-4', s.fetcher);
    expect(next).toHaveProperty('retryAfter');
    expect((next as { retryAfter: number }).retryAfter).toBeGreaterThan(0);
    expect((next as { retryAfter: number }).retryAfter).toBeLessThanOrEqual(7);
    expect(s.keys).toEqual([]); // serper was not called without a lease
  });

  it('reports a 401 as auth_failed and throws', async () => {
    await expect(searchSerper(collectorEnv, 'q', 'doc-5', serper(401).fetcher)).rejects.toThrow(`serper refused credential ${id}`);
    await flushPoolUsage(); // error counts reach D1 with the pool's coalesced usage
    const row = await env.DB.prepare('SELECT error_count FROM api_credentials WHERE id = ?').bind(id).first<{ error_count: number }>();
    expect(row!.error_count).toBe(1);
    const snapshot = await poolStub(env).lockStatus();
    expect(snapshot.outstandingLeases).toBe(0); // the report ended the lease
  });

  it('waits out a rotation: 423 becomes retryAfter 30', async () => {
    await poolStub(env).lock('rotation:doc');
    try {
      expect(await searchSerper(collectorEnv, 'q', 'doc-6', serper(200).fetcher)).toEqual({ retryAfter: 30 });
    } finally {
      await poolStub(env).unlock('rotation:doc');
    }
  });

  it('rethrows anything else (a validation error is a bug in the collector)', async () => {
    const broken: Env = { VAULT_POOL: { ...collectorEnv.VAULT_POOL, acquire: (i) => collectorEnv.VAULT_POOL.acquire({ ...i, tier: 'gold' }) } as PoolService };
    await expect(searchSerper(broken, 'q', 'doc-7', serper(200).fetcher)).rejects.toMatchObject({ code: 'VALIDATION_FAILED', status: 422 });
  });
});
