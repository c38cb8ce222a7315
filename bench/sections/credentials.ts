/**
 * Bench section `credentials`: the credential store through the real Worker
 * (HTTP → auth → validation → Fernet → D1 batch with audit → masked JSON).
 *
 * - create: POST /api/credentials, 1,000 credentials in all (200 one at a
 *   time, then 800 with 16 requests in flight); creates/s by the Node wall
 *   clock, and per-request p50/p99 latency.
 * - list: with those 1,000 credentials stored, GET /api/credentials at the
 *   default page (50), the largest page (200) and a filtered page; p50/p99
 *   of 200 sequential requests each. A list decrypts every row on the page
 *   to mask it, so page size is the cost driver.
 *
 * Authenticates with an admin-scope API key seeded straight into D1.
 */
import { PLATFORM_IDS, PLATFORMS, type PlatformId } from '../../src/arenas/registry.ts';
import type { BenchContext, BenchResult, BenchSection } from '../context.ts';
import { median, percentile, roundMs } from '../context.ts';
import { apiKeyInsert } from '../seed.ts';
import { deleteAllCredentialsQuery } from '../../src/credentials/repository.ts';
import { textOnlyDb } from '../../src/db/sql-text.ts';

const TOTAL = 1000;
const SEQUENTIAL = 200;
const CONCURRENCY = 16;
const LIST_REQUESTS = 200;

/** A valid create body for the i-th credential, cycling through every platform. */
function createBody(i: number): Record<string, unknown> {
  const platform: PlatformId = PLATFORM_IDS[i % PLATFORM_IDS.length]!;
  const spec = PLATFORMS[platform];
  const fields: Record<string, string> = {};
  for (const f of spec.fields) {
    const len = Math.min(f.maxLength, Math.max(f.minLength, 40));
    fields[f.name] = f.pattern ? String(100000 + i) : `bench-${platform}-${f.name}-${i}-`.padEnd(len, 'x').slice(0, len);
  }
  return { platform, tier: spec.tiers[0], credential_name: `bench ${i}`, fields, daily_quota: i % 3 ? null : 1000, notes: i % 5 ? null : 'bench row' };
}

async function seedAdminKey(ctx: BenchContext): Promise<Record<string, string>> {
  const key = apiKeyInsert('bench admin', 'admin', Date.now());
  await ctx.d1([key.statement]);
  return { authorization: key.authorization, 'content-type': 'application/json' };
}

async function timedRequest(ctx: BenchContext, path: string, init: RequestInit, expect: number): Promise<number> {
  const t = performance.now();
  const res = await ctx.fetch(path, init);
  const body = await res.text();
  const ms = performance.now() - t;
  if (res.status !== expect) throw new Error(`${init.method ?? 'GET'} ${path} answered ${res.status}: ${body.slice(0, 300)}`);
  return ms;
}

async function creates(ctx: BenchContext, headers: Record<string, string>, from: number, count: number, concurrency: number): Promise<BenchResult> {
  const latencies: number[] = [];
  let next = from;
  const t0 = performance.now();
  const worker = async () => {
    while (next < from + count) {
      const i = next++;
      latencies.push(await timedRequest(ctx, '/api/credentials', { method: 'POST', headers, body: JSON.stringify(createBody(i)) }, 201));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return {
    metric: 'create',
    credentials: count,
    concurrency,
    creates_per_s: Math.round(count / seconds),
    p50_ms: roundMs(median(latencies)),
    p99_ms: roundMs(percentile(latencies, 99)),
  };
}

async function lists(ctx: BenchContext, headers: Record<string, string>, query: string, label: string): Promise<BenchResult> {
  const path = `/api/credentials?${query}`;
  for (let i = 0; i < 10; i++) await timedRequest(ctx, path, { headers }, 200); // warm up
  const latencies: number[] = [];
  for (let i = 0; i < LIST_REQUESTS; i++) latencies.push(await timedRequest(ctx, path, { headers }, 200));
  const page = await ctx.json<{ credentials: unknown[]; total: number }>(path, { headers });
  return {
    metric: 'list',
    query: label,
    stored_credentials: TOTAL,
    matching: page.total,
    page_rows: page.credentials.length,
    requests: LIST_REQUESTS,
    p50_ms: roundMs(median(latencies)),
    p99_ms: roundMs(percentile(latencies, 99)),
  };
}

export const credentialsSection: BenchSection = {
  name: 'credentials',
  description: 'credential store through the Worker: create throughput; list p50/p99 with 1,000 credentials',
  async run(ctx) {
    const headers = await seedAdminKey(ctx);
    // Sections share one store; start from an empty table so the 1,000 are exact.
    await ctx.d1([deleteAllCredentialsQuery(textOnlyDb).toSQL()]);
    ctx.log(`credentials: creating ${TOTAL} credentials through POST /api/credentials`);
    const sequential = await creates(ctx, headers, 0, SEQUENTIAL, 1);
    const parallel = await creates(ctx, headers, SEQUENTIAL, TOTAL - SEQUENTIAL, CONCURRENCY);
    const stored = await ctx.json<{ total: number }>('/api/credentials?limit=1', { headers });
    if (stored.total !== TOTAL) throw new Error(`expected ${TOTAL} stored credentials, found ${stored.total}`);
    ctx.log('credentials: timing GET /api/credentials');
    const firstPlatform = PLATFORM_IDS[0]!;
    return [
      sequential,
      parallel,
      await lists(ctx, headers, 'limit=50', 'default page (50)'),
      await lists(ctx, headers, 'limit=200', 'largest page (200)'),
      await lists(ctx, headers, `platform=${firstPlatform}&tier=${PLATFORMS[firstPlatform].tiers[0]}&active=true`, 'filtered platform+tier+active'),
      await lists(ctx, headers, 'limit=50&offset=950', 'last page (offset 950)'),
    ];
  },
};

export default credentialsSection;
