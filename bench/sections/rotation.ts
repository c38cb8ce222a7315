/**
 * Bench section `rotation`: a whole credential-key rotation (lock, drain,
 * verify every row, re-encrypt in compare-and-set batches, check, unlock)
 * of 10,000 and of 100,000 credentials in local D1, through the real
 * KeyRotation Durable Object, started over REST like an operator would.
 *
 * The shared bench Worker runs with a single credential key, and a rotation
 * needs a ring (new key current, old key previous) in the Worker's own env,
 * so each size gets its own Worker (bench/wrangler.toml, fresh persistence,
 * fresh keys) started here the way bench-worker.ts starts the shared one.
 * The rows are written into its local D1 with `wrangler d1 execute --file`
 * BEFORE that Worker starts, so its process has seen no seeding traffic.
 *
 * One line per size:
 *   {"rotation_rows", "rows_per_s", "locked_ms", "peak_rss_mb", ...}
 * rows_per_s = rows / (finished_at - started_at) of the rotation itself (all
 * phases: lock, drain, verify every row, re-encrypt, check); locked_ms = how
 * long collection stayed locked; peak_rss_mb = the highest resident memory of
 * the workerd process running that Worker, sampled while the rotation runs
 * (idle_rss_mb: just before). The status is polled every 200 ms, about as
 * gently as the admin page (1 s) or the script (0.5 s) poll it.
 * Target: >= 20,000 rows/s.
 *
 * Memory: the object holds one batch (<= 500 rows) or one verification page
 * (1,000 rows) at a time, so its live data does not grow with the table. The
 * process's RSS still rises during a long run, because V8 lets its heap grow
 * under a high allocation rate (Fernet work makes many short-lived buffers)
 * and the local D1 (SQLite) lives in the same process; it levels off rather
 * than growing with the row count.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unstable_startWorker } from 'wrangler';
import { generateApiKey } from '../../src/auth/api-keys.ts';
import { hexEncode } from '../../src/crypto/encoding.ts';
import { Fernet } from '../../src/crypto/fernet.ts';
import { createContext, type BenchContext, type BenchResult, type BenchSection } from '../context.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONFIG = path.join(ROOT, 'bench', 'wrangler.toml');
const WRANGLER = path.join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
const SIZES = [10_000, 100_000];
/** Rows per rotation batch: the largest the rotation allows. */
const BATCH_SIZE = 500;
/** Distinct tokens seeded (cycled over the rows; every row costs the same to rotate). */
const DISTINCT_TOKENS = 2000;
const ROWS_PER_INSERT = 200;
const POLL_MS = 200;

/** Pids of workerd processes descended from this Node process. */
function workerdPids(): Set<number> {
  const parent = new Map<number, number>();
  const name = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      name.set(Number(entry), stat.slice(stat.indexOf('(') + 1, close));
      parent.set(Number(entry), Number(stat.slice(close + 2).split(' ')[1]));
    } catch {
      // gone
    }
  }
  const out = new Set<number>();
  for (const [pid, comm] of name) {
    if (!comm.startsWith('workerd')) continue;
    for (let p = parent.get(pid); p && p > 1; p = parent.get(p)) {
      if (p === process.pid) {
        out.add(pid);
        break;
      }
    }
  }
  return out;
}

function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function wrangler(args: string[]): void {
  const res = spawnSync(process.execPath, [WRANGLER, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  if (res.status !== 0) throw new Error(`wrangler ${args.slice(0, 3).join(' ')} failed:\n${res.stderr}`);
}

/** A fresh local D1 with the migrations, `rows` credentials under `old` and an admin API key. */
async function seededPersistence(rows: number, old: Fernet): Promise<{ persist: string; apiKey: string }> {
  const persist = mkdtempSync(path.join(tmpdir(), 'arena-vault-bench-rotation-'));
  wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist, '-c', CONFIG]);
  const tokens = await Promise.all(
    Array.from({ length: DISTINCT_TOKENS }, (_, i) => old.encrypt(JSON.stringify({ api_key: `bench-rotation-${i}-${'x'.repeat(32)}` }))),
  );
  const now = Date.now();
  const lines: string[] = [];
  for (let start = 0; start < rows; start += ROWS_PER_INSERT) {
    const values: string[] = [];
    for (let i = start; i < Math.min(rows, start + ROWS_PER_INSERT); i++) {
      // Tokens and key ids are base64url / hex: safe inside SQL quotes.
      values.push(`('serper','medium','row ${i}','${tokens[i % DISTINCT_TOKENS]}','${old.keyId}',${now},${now})`);
    }
    lines.push(`INSERT INTO api_credentials (platform, tier, credential_name, encrypted_value, key_id, created_at, updated_at) VALUES ${values.join(',')};`);
  }
  const k = generateApiKey();
  lines.push(`INSERT INTO api_keys (name, scope, user_id, key_prefix, key_hash, created_at) VALUES ('bench', 'admin', NULL, '${k.prefix}', '${k.hash}', ${now});`);
  const file = path.join(persist, 'seed.sql');
  writeFileSync(file, lines.join('\n'));
  wrangler(['d1', 'execute', 'DB', '--local', '--persist-to', persist, '-c', CONFIG, '--file', file, '--yes']);
  rmSync(file);
  return { persist, apiKey: k.key };
}

async function rotationWorker(ctx: BenchContext, persist: string, oldKey: string, newKey: string) {
  const before = workerdPids();
  const keys = { credentialEncryptionKey: newKey, secretKey: hexEncode(crypto.getRandomValues(new Uint8Array(32))) };
  const worker = await unstable_startWorker({
    config: CONFIG,
    bindings: {
      CREDENTIAL_ENCRYPTION_KEY: { type: 'secret_text', value: newKey },
      CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: { type: 'secret_text', value: oldKey },
      SECRET_KEY: { type: 'secret_text', value: keys.secretKey },
    },
    dev: { server: { hostname: '127.0.0.1', port: 0 }, inspector: false, persist, logLevel: 'error', watch: false },
    sendMetrics: false,
  });
  await worker.ready;
  return {
    ctx: createContext(await worker.url, ctx.options, keys),
    /** This Worker's workerd processes (a small proxy and the one running the app). */
    pids: () => [...workerdPids()].filter((p) => !before.has(p)),
    stop: () => worker.dispose(),
  };
}

async function rotateOnce(ctx: BenchContext, rows: number): Promise<BenchResult> {
  const oldKey = Fernet.generateKey();
  const newKey = Fernet.generateKey();
  ctx.log(`rotation: writing ${rows} rows under the old key into a fresh local D1`);
  const { persist, apiKey } = await seededPersistence(rows, await Fernet.fromKey(oldKey));
  const w = await rotationWorker(ctx, persist, oldKey, newKey);
  try {
    const headers = { authorization: `ApiKey ${apiKey}`, 'content-type': 'application/json' };
    await w.ctx.json('/api/admin/rotations/credential-key', { headers }); // the app's process is up
    const pid = w.pids().sort((a, b) => rssMb(b) - rssMb(a))[0];
    const idleRss = pid ? rssMb(pid) : 0;
    ctx.log(`rotation: rotating ${rows} rows (batch ${BATCH_SIZE})`);
    const started = await w.ctx.json<{ run_id: string }>('/api/admin/rotations/credential-key', {
      method: 'POST', headers, body: JSON.stringify({ batch_size: BATCH_SIZE }),
    });
    let peak = idleRss;
    let status: any;
    for (;;) {
      if (pid) peak = Math.max(peak, rssMb(pid));
      status = await w.ctx.json<any>('/api/admin/rotations/credential-key', { headers });
      if (['done', 'failed', 'aborted'].includes(status.phase) && !status.locked) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    if (status.phase !== 'done' || status.done !== rows || status.run_id !== started.run_id) {
      throw new Error(`rotation ended ${status.phase}: ${status.done}/${status.total} (${status.reason ?? status.last_error ?? ''})`);
    }
    const seconds = (Date.parse(status.finished_at) - Date.parse(status.started_at)) / 1000;
    return {
      rotation_rows: rows,
      rows_per_s: Math.round(rows / Math.max(seconds, 0.001)),
      locked_ms: status.locked_ms,
      peak_rss_mb: Math.round(peak * 10) / 10,
      idle_rss_mb: Math.round(idleRss * 10) / 10,
      seconds: Math.round(seconds * 100) / 100,
      batch_size: BATCH_SIZE,
      runtime: 'workerd',
    };
  } finally {
    await w.stop();
    rmSync(persist, { recursive: true, force: true });
  }
}

export default {
  name: 'rotation',
  description: 'credential-key rotation of 10,000 and 100,000 rows in local D1 (rows/s, locked ms, peak RSS)',
  async run(ctx) {
    const out: BenchResult[] = [];
    for (const rows of SIZES) out.push(await rotateOnce(ctx, rows));
    return out;
  },
} satisfies BenchSection;
