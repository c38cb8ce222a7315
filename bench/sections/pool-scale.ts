/**
 * Bench section `pool-scale`: what the pool's working copy costs as the
 * credential table grows. For 100, 10,000 and 100,000 stored credentials
 * (`BENCH_POOL_SCALE_SIZES=100,1000` picks others), each in a Worker of its
 * own with the rows written into its local D1 before it starts
 * (bench/fresh-worker.ts):
 * - 20 credentials on serper/medium, the pool measured; the rest spread
 *   round-robin over the other 19 platform/tier pools of the arena registry;
 * - first_acquire_ms: the first acquire, which reads the whole copy from D1;
 * - then acquire+release at concurrency 1 over REST (HTTP + ApiKey), 20
 *   cycles to warm up and BENCH_POOL_SCALE_CYCLES (default 300) measured:
 *   p50_ms / p99_ms of one cycle, and p50_ratio_to_smallest against the first
 *   size (goal: <= 1.5 at 100,000, i.e. choosing goes through the
 *   (platform, tier) index and never scans the other pools' rows);
 * - object_heap_mb: the isolate's live V8 heap after a forced full
 *   collection (the app and its Durable Objects, so the pool object's copy
 *   in memory) with the one pool in use; all_pools_heap_mb the same once
 *   every pool has been leased from (so every row's index entry is loaded);
 *   rss_mb: the workerd process (its local D1 simulator included).
 * One JSON line per size:
 *   {"section":"pool-scale","credentials","p50_ms","p99_ms","p50_ratio_to_smallest","object_heap_mb", ...}
 * and one line of memory per credential, from the smallest and the largest
 * size, with the size at which one object's heap stops fitting 128 MB
 * (a Durable Object isolate's memory limit). docs/benchmarks.md explains them.
 */
import { rmSync } from 'node:fs';
import { PLATFORM_IDS, PLATFORMS } from '../../src/arenas/registry.ts';
import { generateApiKey } from '../../src/auth/api-keys.ts';
import { newApiKeyQuery } from '../../src/auth/api-key-repository.ts';
import { insertCredentialRowsQuery, type NewCredentialRow } from '../../src/credentials/repository.ts';
import { Fernet } from '../../src/crypto/fernet.ts';
import { sqlText, textOnlyDb } from '../../src/db/sql-text.ts';
import { median, percentile, roundMs, timedPost as post, type BenchContext, type BenchResult, type BenchSection } from '../context.ts';
import { executeSql, freshPersistence, rssMb, startFreshWorker } from '../fresh-worker.ts';

const MEASURED = { platform: 'serper', tier: 'medium' } as const;
const MEASURED_CREDENTIALS = 20;
const DISTINCT_TOKENS = 500;
const ROWS_PER_INSERT = 200;
const WARMUP_CYCLES = 20;
/** A Durable Object isolate's memory limit. */
const OBJECT_LIMIT_MB = 128;

function envList(name: string, fallback: string): number[] {
  const list = (process.env[name] ?? fallback).split(',').map((n) => Number(n.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`${name} must be whole numbers >= 1, comma-separated`);
  return list;
}

/** Every platform/tier pool of the registry but the measured one. */
const OTHER_POOLS = PLATFORM_IDS.flatMap((p) => PLATFORMS[p].tiers.map((tier) => ({ platform: p, tier }))).filter(
  (x) => !(x.platform === MEASURED.platform && x.tier === MEASURED.tier),
);

/** A fresh local D1 with `total` credentials (see the header) and a collector key. */
async function seeded(total: number, f: Fernet): Promise<{ persist: string; authorization: string }> {
  const persist = freshPersistence('arena-vault-bench-pool-scale-');
  const tokens = await Promise.all(
    Array.from({ length: DISTINCT_TOKENS }, (_, i) => f.encrypt(JSON.stringify({ api_key: `bench-scale-${i}-${'x'.repeat(32)}` }))),
  );
  const now = Date.now();
  const lines: string[] = [];
  const measured = Math.min(MEASURED_CREDENTIALS, total);
  for (let start = 0; start < total; start += ROWS_PER_INSERT) {
    const values = [];
    for (let i = start; i < Math.min(total, start + ROWS_PER_INSERT); i++) {
      const pool = i < measured ? MEASURED : OTHER_POOLS[i % OTHER_POOLS.length]!;
      values.push({
        platform: pool.platform,
        tier: pool.tier as NewCredentialRow['tier'],
        credentialName: `scale ${i}`,
        encryptedValue: tokens[i % DISTINCT_TOKENS]!,
        keyId: f.keyId,
        createdAt: now,
        updatedAt: now,
        maxLeases: 10,
      });
    }
    lines.push(sqlText(insertCredentialRowsQuery(textOnlyDb, values)));
  }
  const k = generateApiKey();
  lines.push(
    sqlText(newApiKeyQuery(textOnlyDb, { name: 'bench scale', scope: 'collector', userId: null, keyPrefix: k.prefix, keyHash: k.hash, createdAt: now })),
  );
  executeSql(persist, lines);
  return { persist, authorization: `ApiKey ${k.key}` };
}

async function cycle(ctx: BenchContext, headers: Record<string, string>, body: object): Promise<number> {
  const t0 = performance.now();
  const a = await post(ctx, '/api/pool/acquire', headers, body);
  if (!a.json?.lease_id) throw new Error(`acquire failed: ${JSON.stringify(a.json)}`);
  await post(ctx, '/api/pool/release', headers, { lease_id: a.json.lease_id });
  return performance.now() - t0;
}

interface SizeResult {
  line: BenchResult;
  p50: number;
  heapMb: number;
  allPoolsHeapMb: number;
}

async function measure(ctx: BenchContext, total: number, cycles: number): Promise<SizeResult> {
  const key = Fernet.generateKey();
  ctx.log(`pool-scale: writing ${total} credentials into a fresh local D1`);
  const { persist, authorization } = await seeded(total, await Fernet.fromKey(key));
  let w: Awaited<ReturnType<typeof startFreshWorker>>;
  try {
    w = await startFreshWorker(ctx, persist, key);
  } catch (e) {
    rmSync(persist, { recursive: true, force: true });
    throw e;
  }
  try {
    const headers = { authorization, 'content-type': 'application/json' };
    const body = { ...MEASURED, task_id: 'bench-scale' };
    ctx.log(`pool-scale: ${total} credentials, acquire+release at concurrency 1`);
    const first = await cycle(w.ctx, headers, body);
    for (let i = 0; i < WARMUP_CYCLES; i++) await cycle(w.ctx, headers, body);
    const times: number[] = [];
    for (let i = 0; i < cycles; i++) times.push(await cycle(w.ctx, headers, body));
    const heapMb = await liveHeap(w, headers, body);
    const pid = w.pids().sort((a, b) => rssMb(b) - rssMb(a))[0];
    const rss = pid ? rssMb(pid) : 0;
    // Every pool leased from once: each pool's rows are then in the copy's memory.
    for (const p of OTHER_POOLS) await cycle(w.ctx, headers, { ...p, task_id: 'bench-scale-all' }).catch(() => undefined);
    const allPoolsHeapMb = await liveHeap(w, headers, body);
    const p50 = median(times);
    return {
      p50,
      heapMb,
      allPoolsHeapMb,
      line: {
        credentials: total,
        p50_ms: roundMs(p50),
        p99_ms: roundMs(percentile(times, 99)),
        cycles,
        first_acquire_ms: roundMs(first),
        object_heap_mb: heapMb,
        all_pools_heap_mb: allPoolsHeapMb,
        rss_mb: Math.round(rss * 10) / 10,
      },
    };
  } finally {
    w.heap.close();
    await w.stop();
    rmSync(persist, { recursive: true, force: true });
  }
}

/** The isolate's heap in use after a full collection (workerd runs the command when the isolate next runs: keep it busy). */
async function liveHeap(w: Awaited<ReturnType<typeof startFreshWorker>>, headers: Record<string, string>, body: object): Promise<number> {
  let collected = false;
  const gc = w.heap.collectGarbage().finally(() => (collected = true));
  while (!collected) {
    await cycle(w.ctx, headers, body);
    await Promise.race([gc, new Promise((r) => setTimeout(r, 50))]);
  }
  await gc;
  return (await w.heap.usage()).usedMb;
}

export default {
  name: 'pool-scale',
  description: 'the pool copy as the table grows: acquire+release p50/p99 at 100, 10,000 and 100,000 credentials, heap per credential',
  async run(ctx) {
    const cycles = envList('BENCH_POOL_SCALE_CYCLES', '300')[0]!;
    const results: SizeResult[] = [];
    const out: BenchResult[] = [];
    for (const total of envList('BENCH_POOL_SCALE_SIZES', '100,10000,100000')) {
      const r = await measure(ctx, total, cycles);
      results.push(r);
      out.push({ ...r.line, p50_ratio_to_smallest: Math.round((r.p50 / results[0]!.p50) * 100) / 100 });
    }
    const small = results[0]!;
    const large = results[results.length - 1]!;
    const span = Number(large.line.credentials) - Number(small.line.credentials);
    if (span > 0) {
      // Per credential, from the growth between the smallest and the largest size.
      const kb = (mb: number) => Math.round(((mb * 1024) / span) * 1000) / 1000;
      const perAllPools = (large.allPoolsHeapMb - small.allPoolsHeapMb) / span;
      out.push({
        metric: 'memory_per_credential',
        heap_kb_one_pool_in_use: kb(large.heapMb - small.heapMb),
        heap_kb_all_pools_in_use: kb(large.allPoolsHeapMb - small.allPoolsHeapMb),
        rss_kb: kb(Number(large.line.rss_mb) - Number(small.line.rss_mb)),
        // Every pool in use: the credentials at which the object's heap reaches the limit.
        fits_128mb_up_to_credentials: perAllPools > 0 ? Math.floor((OBJECT_LIMIT_MB - small.allPoolsHeapMb) / perAllPools) : null,
      });
    }
    return out;
  },
} satisfies BenchSection;
