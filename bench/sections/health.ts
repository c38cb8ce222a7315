/**
 * Bench section `health`: GET /api/arenas/health through the real Worker with
 * 10,000 credentials stored (spread over every platform), as an admin:
 * - plain: counts per arena and tier + the per-key sample decrypt check;
 * - deep (?deep=1): every row decrypted, 500 rows per D1 read.
 * p50/p99 of sequential requests each (Node wall clock, HTTP included), plus
 * the Worker's own `decrypt.ms` for the deep check.
 */
import { Fernet } from '../../src/crypto/fernet.ts';
import { PLATFORM_IDS, PLATFORMS } from '../../src/arenas/registry.ts';
import type { BenchContext, BenchResult, BenchSection, Statement } from '../context.ts';
import { median, percentile, roundMs } from '../context.ts';
import { apiKeyInsert, credentialsInsert, type SeededCredential } from '../seed.ts';

const ROWS = 10_000;
const ROWS_PER_INSERT = 10; // rows encrypted per credentialsInsert call (it splits them by D1's parameter cap)
const INSERTS_PER_BATCH = 100;

async function seed(ctx: BenchContext): Promise<Record<string, string>> {
  const f = await Fernet.fromKey(ctx.keys.credentialEncryptionKey);
  const now = Date.now();
  let batch: Statement[] = [];
  for (let i = 0; i < ROWS; i += ROWS_PER_INSERT) {
    const rows: SeededCredential[] = [];
    for (let j = i; j < i + ROWS_PER_INSERT; j++) {
      const platform = PLATFORM_IDS[j % PLATFORM_IDS.length]!;
      rows.push({
        platform,
        tier: PLATFORMS[platform].tiers[0]!,
        name: `bench health ${j}`,
        fields: { api_key: `bench-${platform}-${j}-xxxxxxxxxxxxxxxxxxxx` },
      });
    }
    batch.push(...(await credentialsInsert(f, rows, now)));
    if (batch.length >= INSERTS_PER_BATCH) {
      await ctx.d1(batch);
      batch = [];
    }
  }
  if (batch.length) await ctx.d1(batch);
  const key = apiKeyInsert('bench admin', 'admin', now);
  await ctx.d1([key.statement]);
  return { authorization: key.authorization };
}

async function measure(ctx: BenchContext, headers: Record<string, string>, path: string, requests: number, mode: string): Promise<BenchResult> {
  const times: number[] = [];
  const inWorker: number[] = [];
  let body: any;
  for (let i = 0; i < requests + 2; i++) {
    const t = performance.now();
    const res = await ctx.fetch(path, { headers });
    const text = await res.text();
    const ms = performance.now() - t;
    if (res.status !== 200 && res.status !== 503) throw new Error(`GET ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    body = JSON.parse(text);
    if (i < 2) continue; // warm-up
    times.push(ms);
    inWorker.push(body.decrypt.ms);
  }
  if (body.decrypt.mode === 'deep' && body.decrypt.checked < ROWS) throw new Error(`deep check opened ${body.decrypt.checked} rows, expected at least ${ROWS}`);
  return {
    metric: 'arenas_health',
    mode,
    credentials: ROWS,
    rows_decrypted: body.decrypt.checked,
    requests,
    p50_ms: roundMs(median(times)),
    p99_ms: roundMs(percentile(times, 99)),
    worker_p50_ms: roundMs(median(inWorker)),
  };
}

export const healthSection: BenchSection = {
  name: 'health',
  description: 'GET /api/arenas/health latency with 10,000 credentials, plain and deep (?deep=1)',
  async run(ctx) {
    ctx.log(`health: seeding ${ROWS} credentials`);
    const headers = await seed(ctx);
    ctx.log('health: timing GET /api/arenas/health');
    return [await measure(ctx, headers, '/api/arenas/health', 50, 'plain'), await measure(ctx, headers, '/api/arenas/health?deep=1', 20, 'deep')];
  },
};

export default healthSection;
