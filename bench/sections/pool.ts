/**
 * Bench section `pool`: the credential pool (CredentialPool Durable Object).
 *
 * - cycle: acquire+release round trips per second through the Durable Object,
 *   timed inside workerd (bench/routes/pool.ts), 20 serper/medium credentials
 *   seeded, one caller at a time (the object serialises anyway);
 * - acquire latency p50/p99 inside workerd (Worker → DO → D1 → decrypt);
 * - the same over REST as a collector sees it (HTTP + API key auth):
 *   sequential acquire p50/p99, and acquire+release cycles/s with 16 in flight.
 */
import { Fernet } from '../../src/crypto/fernet.ts';
import type { BenchContext, BenchResult, BenchSection, Statement } from '../context.ts';
import { median, percentile, roundMs, timedPost as post } from '../context.ts';
import { apiKeyInsert, credentialsInsert } from '../seed.ts';

const CREDENTIALS = 20;
const REST_REQUESTS = 500;
const CONCURRENCY = 16;

async function seed(ctx: BenchContext): Promise<Record<string, string>> {
  const f = await Fernet.fromKey(ctx.keys.credentialEncryptionKey);
  const now = Date.now();
  const statements: Statement[] = [];
  for (let i = 0; i < CREDENTIALS; i++) {
    statements.push(
      ...(await credentialsInsert(
        f,
        [{ platform: 'serper', tier: 'medium', name: `bench pool ${i}`, fields: { api_key: `bench-serper-key-${i}-xxxxxxxxxxxxxxxx` } }],
        now,
      )),
    );
  }
  const key = apiKeyInsert('bench collector', 'collector', now);
  statements.push(key.statement);
  await ctx.d1(statements);
  return { authorization: key.authorization, 'content-type': 'application/json' };
}

const ACQUIRE = { platform: 'serper', tier: 'medium', task_id: 'bench' };

async function restSequential(ctx: BenchContext, headers: Record<string, string>): Promise<BenchResult> {
  const acquires: number[] = [];
  for (let i = 0; i < 20; i++) {
    const a = await post(ctx, '/api/pool/acquire', headers, ACQUIRE);
    await post(ctx, '/api/pool/release', headers, { lease_id: a.json.lease_id });
  }
  for (let i = 0; i < REST_REQUESTS; i++) {
    const a = await post(ctx, '/api/pool/acquire', headers, ACQUIRE);
    acquires.push(a.ms);
    await post(ctx, '/api/pool/release', headers, { lease_id: a.json.lease_id, units_used: 1 });
  }
  return {
    metric: 'rest_acquire_latency',
    via: 'REST (HTTP + ApiKey)',
    requests: REST_REQUESTS,
    p50_ms: roundMs(median(acquires)),
    p99_ms: roundMs(percentile(acquires, 99)),
  };
}

async function restParallel(ctx: BenchContext, headers: Record<string, string>): Promise<BenchResult> {
  let done = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (done < REST_REQUESTS) {
      done++;
      const a = await post(ctx, '/api/pool/acquire', headers, ACQUIRE);
      await post(ctx, '/api/pool/release', headers, { lease_id: a.json.lease_id });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return {
    metric: 'rest_cycles',
    via: 'REST (HTTP + ApiKey)',
    concurrency: CONCURRENCY,
    credentials: CREDENTIALS,
    cycles: done,
    cycles_per_s: Math.round(done / seconds),
  };
}

export const poolSection: BenchSection = {
  name: 'pool',
  description: 'credential pool: acquire+release round trips/s through the Durable Object, acquire p50/p99 (in workerd and over REST)',
  async run(ctx) {
    const headers = await seed(ctx);
    const q = 'platform=serper&tier=medium';
    ctx.log('pool: acquire+release round trips through the Durable Object');
    const cycle = await ctx.opsPerSecond(`/__bench/pool/cycle?${q}`);
    const latency = await ctx.json<{ p50_ms: number; p99_ms: number }>(`/__bench/pool/acquire?${q}&n=2000`);
    ctx.log('pool: the same over REST');
    return [
      {
        metric: 'do_round_trips',
        via: 'Worker → Durable Object (in workerd)',
        credentials: CREDENTIALS,
        acquire_release_per_s: cycle.ops_s,
        median_per_s: cycle.median_ops_s,
        n: cycle.n,
        trials: cycle.trials,
        timing: cycle.timing,
      },
      {
        metric: 'do_acquire_latency',
        via: 'Worker → Durable Object (in workerd)',
        acquires: 2000,
        p50_ms: roundMs(latency.p50_ms),
        p99_ms: roundMs(latency.p99_ms),
      },
      await restSequential(ctx, headers),
      await restParallel(ctx, headers),
    ];
  },
};

export default poolSection;
