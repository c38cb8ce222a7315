/**
 * A bench Worker of its own, for the sections that need a fresh process and
 * a D1 seeded BEFORE it starts (rotation, pool-scale): the seeding traffic
 * never reaches the process that is measured. Each gets its own local D1
 * (`freshPersistence`, migrations applied), filled with `executeSql` through
 * `wrangler d1 execute --file`, then `startFreshWorker` starts it the way
 * bench-worker.ts starts the shared one, with an inspector for its heap.
 * Its workerd processes are found in /proc (RSS, CPU time).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unstable_startWorker } from 'wrangler';
import { hexEncode } from '../src/crypto/encoding.ts';
import { createContext, type BenchContext } from './context.ts';
import { WorkerHeap } from './worker-heap.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CONFIG = path.join(ROOT, 'bench', 'wrangler.toml');
const WRANGLER = path.join(ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
const RSS_EVERY_MS = 50;

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

export function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds (user + system) the process has used so far: less sensitive to a loaded machine than wall time. */
export function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

export function wrangler(args: string[]): void {
  const res = spawnSync(process.execPath, [WRANGLER, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: '1' } });
  if (res.status !== 0) throw new Error(`wrangler ${args.slice(0, 3).join(' ')} failed:\n${res.stderr}`);
}

/** A fresh local D1 with the migrations applied, in a new temp directory (`prefix`): remove it when done. */
export function freshPersistence(prefix: string): string {
  const persist = mkdtempSync(path.join(tmpdir(), prefix));
  wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persist, '-c', CONFIG]);
  return persist;
}

/** Runs SQL statements (one per line) against the local D1 in `persist`, while no Worker uses it. */
export function executeSql(persist: string, lines: string[]): void {
  const file = path.join(persist, 'seed.sql');
  writeFileSync(file, lines.join('\n'));
  try {
    wrangler(['d1', 'execute', 'DB', '--local', '--persist-to', persist, '-c', CONFIG, '--file', file, '--yes']);
  } finally {
    rmSync(file);
  }
}

/**
 * A Worker of its own on `persist` (bench/wrangler.toml), with `currentKey` as
 * CREDENTIAL_ENCRYPTION_KEY (and `previousKey` as the previous one, if given),
 * a fresh SECRET_KEY and an inspector connection for its heap.
 */
export async function startFreshWorker(ctx: BenchContext, persist: string, currentKey: string, previousKey?: string) {
  const before = workerdPids();
  const keys = { credentialEncryptionKey: currentKey, secretKey: hexEncode(crypto.getRandomValues(new Uint8Array(32))) };
  const worker = await unstable_startWorker({
    config: CONFIG,
    bindings: {
      CREDENTIAL_ENCRYPTION_KEY: { type: 'secret_text', value: currentKey },
      ...(previousKey ? { CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: { type: 'secret_text' as const, value: previousKey } } : {}),
      SECRET_KEY: { type: 'secret_text', value: keys.secretKey },
    },
    dev: { server: { hostname: '127.0.0.1', port: 0 }, inspector: { hostname: '127.0.0.1', port: 0 }, persist, logLevel: 'error', watch: false },
    sendMetrics: false,
  });
  let heap: WorkerHeap;
  try {
    await worker.ready;
    const inspectorUrl = await worker.inspectorUrl;
    if (!inspectorUrl) throw new Error('the bench Worker started without an inspector');
    heap = await WorkerHeap.connect(inspectorUrl);
  } catch (e) {
    await worker.dispose();
    throw e;
  }
  return {
    ctx: createContext(await worker.url, ctx.options, keys),
    heap,
    /** This Worker's workerd processes (a small proxy and the one running the app). */
    pids: () => [...workerdPids()].filter((p) => !before.has(p)),
    stop: () => worker.dispose(),
  };
}

/** The highest RSS of `pid`, read every RSS_EVERY_MS until stop(). */
export function sampleRss(pid: number | undefined): { stop(): number } {
  let peak = pid ? rssMb(pid) : 0;
  const timer = setInterval(() => {
    if (pid) peak = Math.max(peak, rssMb(pid));
  }, RSS_EVERY_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      if (pid) peak = Math.max(peak, rssMb(pid));
      return peak;
    },
  };
}
