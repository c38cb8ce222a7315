/**
 * Bench section `rotation`: a whole credential-key rotation (lock, drain,
 * verify every row, re-encrypt in compare-and-set batches, check, unlock)
 * of 10,000 and of 100,000 credentials in local D1, through the real
 * KeyRotation Durable Object, started over REST like an operator would, with
 * the rotation's default batch size (what the admin page and the script use).
 * `BENCH_ROTATION_ROWS=10000,100000,300000` picks other sizes and
 * `BENCH_ROTATION_BATCH=500` another batch size (1 to MAX_BATCH_SIZE, 1,000).
 *
 * The shared bench Worker runs with a single credential key, and a rotation
 * needs a ring (new key current, old key previous) in the Worker's own env,
 * so each size gets its own Worker (bench/wrangler.toml, fresh persistence,
 * fresh keys) started here the way bench-worker.ts starts the shared one.
 * The rows are written into its local D1 with `wrangler d1 execute --file`
 * BEFORE that Worker starts, so its process has seen no seeding traffic.
 * Before the rotation starts, the pool reads its copy, as in a vault that
 * runs (the rotation then hands the copy each batch): one acquire on a pool
 * with no credentials, so that memory holds the copy's version and keys but
 * no pool's rows (memory holds the pools in use: `pool-scale` measures that),
 * and the heap figures show what the rotation itself adds.
 *
 * One line per size:
 *   {"rotation_rows", "rows_per_s", "locked_ms", "peak_rss_mb", ...}
 * rows_per_s = rows / (finished_at - started_at) of the rotation itself (all
 * phases: lock, drain, verify every row, re-encrypt, check); locked_ms = how
 * long collection stayed locked. Target: >= 20,000 rows/s.
 *
 * Memory, from two places:
 * - peak_rss_mb: the highest resident memory of the workerd process running
 *   that Worker, read from /proc every 50 ms from the start until the
 *   rotation is over (a sampler of its own: sampling only between status
 *   polls missed the whole of a 0.5 s rotation). idle_rss_mb: the same
 *   process with the rows seeded, just before the start;
 *   rotation_rss_delta_mb = peak - idle. That process also runs the local D1
 *   simulator (a second isolate and its SQLite), which production does not
 *   have in the Worker: D1 is a remote service there.
 * - worker_heap_peak_mb: the highest V8 heap committed by the Worker's own
 *   isolate (the app and its Durable Objects, so the KeyRotation object),
 *   read through the inspector (bench/worker-heap.ts) every 100 ms;
 *   worker_heap_live_mb: what is still used after a full collection forced
 *   once the rotation is over, and rss_after_gc_mb the process's RSS then.
 * BENCH_ROTATION_TRACE=1 logs each phase change with its time (stderr);
 * BENCH_ROTATION_PROFILE=1 (or a file name, which also gets the .cpuprofile) profiles the Worker's isolate (the app and its
 * Durable Objects) during the rotation and prints where its CPU went (stderr;
 * the rates are then lower, because the profiler costs CPU too).
 * workerd_cpu_s: the CPU time that process spent from the start until the
 * rotation was over (its D1 simulator included): on a shared, loaded machine
 * it moves much less than rows_per_s, so compare runs by it too.
 * The status is polled every 200 ms, about as gently as the admin page (1 s)
 * or the script (0.5 s) poll it. docs/benchmarks.md explains the figures.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { generateApiKey } from '../../src/auth/api-keys.ts';
import { newApiKeyQuery } from '../../src/auth/api-key-repository.ts';
import { insertCredentialRowsQuery } from '../../src/credentials/repository.ts';
import { sqlText, textOnlyDb } from '../../src/db/sql-text.ts';
import { Fernet } from '../../src/crypto/fernet.ts';
import type { BenchContext, BenchResult, BenchSection } from '../context.ts';
import type { HeapUsage } from '../worker-heap.ts';
import { report } from '../profile-report.ts';
import { cpuSeconds, executeSql, freshPersistence, rssMb, sampleRss, startFreshWorker } from '../fresh-worker.ts';

/** Row counts to rotate, one Worker each: BENCH_ROTATION_ROWS (comma-separated) or 10,000 and 100,000. */
function sizes(): number[] {
  const list = (process.env.BENCH_ROTATION_ROWS ?? '10000,100000').split(',').map((n) => Number(n.trim()));
  if (list.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('BENCH_ROTATION_ROWS must be whole numbers >= 1, comma-separated');
  return list;
}

/** The start request's body: the rotation's default batch size unless BENCH_ROTATION_BATCH says otherwise. */
function startBody(): string {
  const batch = process.env.BENCH_ROTATION_BATCH;
  return batch === undefined ? '{}' : JSON.stringify({ batch_size: Number(batch) });
}
/** Distinct tokens seeded (cycled over the rows; every row costs the same to rotate). */
const DISTINCT_TOKENS = 2000;
const ROWS_PER_INSERT = 200;
const POLL_MS = 200;

/** A fresh local D1 with the migrations, `rows` credentials under `old` and an admin API key. */
async function seededPersistence(rows: number, old: Fernet): Promise<{ persist: string; apiKey: string }> {
  const persist = freshPersistence('arena-vault-bench-rotation-');
  const tokens = await Promise.all(
    Array.from({ length: DISTINCT_TOKENS }, (_, i) => old.encrypt(JSON.stringify({ api_key: `bench-rotation-${i}-${'x'.repeat(32)}` }))),
  );
  const now = Date.now();
  const lines: string[] = [];
  for (let start = 0; start < rows; start += ROWS_PER_INSERT) {
    const values = [];
    for (let i = start; i < Math.min(rows, start + ROWS_PER_INSERT); i++) {
      values.push({
        platform: 'serper',
        tier: 'medium' as const,
        credentialName: `row ${i}`,
        encryptedValue: tokens[i % DISTINCT_TOKENS]!,
        keyId: old.keyId,
        createdAt: now,
        updatedAt: now,
      });
    }
    // As SQL text the parameters are literals, so D1's 100 bound parameters do not limit the rows per INSERT.
    lines.push(sqlText(insertCredentialRowsQuery(textOnlyDb, values)));
  }
  const k = generateApiKey();
  lines.push(sqlText(newApiKeyQuery(textOnlyDb, { name: 'bench', scope: 'admin', userId: null, keyPrefix: k.prefix, keyHash: k.hash, createdAt: now })));
  executeSql(persist, lines);
  return { persist, apiKey: k.key };
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** Has the pool read its copy (see the header); the acquire itself finds no credential, as intended. */
async function warmCopy(ctx: BenchContext, headers: Record<string, string>): Promise<void> {
  const res = await ctx.fetch('/api/pool/acquire', {
    method: 'POST',
    headers,
    body: JSON.stringify({ platform: 'youtube', tier: 'free', task_id: 'bench-rotation-warm' }),
  });
  await res.arrayBuffer();
  if (res.status === 200 || res.status >= 500) throw new Error(`warming the pool's copy answered ${res.status}`);
}

async function rotateOnce(ctx: BenchContext, rows: number): Promise<BenchResult> {
  const oldKey = Fernet.generateKey();
  const newKey = Fernet.generateKey();
  ctx.log(`rotation: writing ${rows} rows under the old key into a fresh local D1`);
  const { persist, apiKey } = await seededPersistence(rows, await Fernet.fromKey(oldKey));
  let w: Awaited<ReturnType<typeof startFreshWorker>>;
  try {
    w = await startFreshWorker(ctx, persist, newKey, oldKey);
  } catch (e) {
    rmSync(persist, { recursive: true, force: true });
    throw e;
  }
  try {
    const headers = { authorization: `ApiKey ${apiKey}`, 'content-type': 'application/json' };
    await w.ctx.json('/api/admin/rotations/credential-key', { headers }); // the app's process is up
    await warmCopy(w.ctx, headers);
    const pid = w.pids().sort((a, b) => rssMb(b) - rssMb(a))[0];
    const idleRss = pid ? rssMb(pid) : 0;
    ctx.log(`rotation: rotating ${rows} rows`);
    const rss = sampleRss(pid);
    const cpuBefore = cpuSeconds(pid);
    const profiling = Boolean(process.env.BENCH_ROTATION_PROFILE);
    if (profiling) await w.heap.startProfile();
    const heap = w.heap.sampleHighest();
    const t0 = Date.now();
    const started = await w.ctx.json<{ run_id: string }>('/api/admin/rotations/credential-key', { method: 'POST', headers, body: startBody() });
    let status: any;
    let peak: number;
    let heapPeak: HeapUsage;
    let cpuUsed = 0;
    try {
      let seen = '';
      for (;;) {
        status = await w.ctx.json<any>('/api/admin/rotations/credential-key', { headers });
        // BENCH_ROTATION_TRACE=1: each phase change with the seconds since the start (where the time goes).
        if (process.env.BENCH_ROTATION_TRACE && `${status.phase}/${status.locked}` !== seen) {
          seen = `${status.phase}/${status.locked}`;
          ctx.log(`rotation: ${((Date.now() - t0) / 1000).toFixed(1)} s ${status.phase} locked=${status.locked} done=${status.done}`);
        }
        if (['done', 'failed', 'aborted'].includes(status.phase) && !status.locked) break;
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } finally {
      peak = rss.stop();
      cpuUsed = cpuSeconds(pid) - cpuBefore;
      heapPeak = await heap.stop();
    }
    if (profiling) {
      const profile = await w.heap.stopProfile();
      if (process.env.BENCH_ROTATION_PROFILE !== '1') writeFileSync(process.env.BENCH_ROTATION_PROFILE!, JSON.stringify(profile));
      const lines: string[] = [];
      report(profile, [], 30, [], (l) => lines.push(l));
      ctx.log(`rotation: CPU profile of the Worker's isolate, ${rows} rows\n${lines.join('\n')}`);
    }
    if (status.phase !== 'done' || status.done !== rows || status.run_id !== started.run_id) {
      throw new Error(`rotation ended ${status.phase}: ${status.done}/${status.total} (${status.reason ?? status.last_error ?? ''})`);
    }
    // workerd handles this inspector command only when the isolate next runs
    // something, so keep asking for the status until the collection is done.
    let collected = false;
    const gc = w.heap.collectGarbage().finally(() => (collected = true));
    while (!collected) {
      await w.ctx.json('/api/admin/rotations/credential-key', { headers });
      await Promise.race([gc, new Promise((r) => setTimeout(r, 50))]);
    }
    await gc;
    const live = await w.heap.usage();
    const seconds = (Date.parse(status.finished_at) - Date.parse(status.started_at)) / 1000;
    return {
      rotation_rows: rows,
      rows_per_s: Math.round(rows / Math.max(seconds, 0.001)),
      locked_ms: status.locked_ms,
      peak_rss_mb: round1(peak),
      idle_rss_mb: round1(idleRss),
      rotation_rss_delta_mb: round1(peak - idleRss),
      worker_heap_peak_mb: heapPeak.totalMb,
      worker_heap_live_mb: live.usedMb,
      rss_after_gc_mb: round1(pid ? rssMb(pid) : 0),
      seconds: Math.round(seconds * 100) / 100,
      workerd_cpu_s: Math.round(cpuUsed * 100) / 100,
      batch_size: status.batch_size,
      runtime: 'workerd',
    };
  } finally {
    w.heap.close();
    await w.stop();
    rmSync(persist, { recursive: true, force: true });
  }
}

export default {
  name: 'rotation',
  description: 'credential-key rotation of 10,000 and 100,000 rows in local D1 (rows/s, locked ms, peak RSS, Worker heap)',
  async run(ctx) {
    const out: BenchResult[] = [];
    for (const rows of sizes()) out.push(await rotateOnce(ctx, rows));
    return out;
  },
} satisfies BenchSection;
