/**
 * The section interface of `npm run bench` and the context every section
 * gets (see the header of bench/run.ts for how to write a section).
 *
 * Timing: deployed Workers freeze `Date.now()`/`performance.now()` until the
 * next I/O (a Spectre mitigation); local workerd, which the bench runs, lets
 * them advance (bench/routes/core.ts GET /__bench/clock checks this at
 * start). `opsPerSecond` therefore times N operations inside ONE request by
 * the workerd clock; if that clock ever stood still it falls back to the
 * Node-side wall time of the request minus the median empty round trip.
 */

export interface BenchSection {
  /** Short id used by `--only` and printed as `section` on each line. */
  name: string;
  /** One line for `npm run bench -- --list`. */
  description: string;
  /** Returns one object per result line; run.ts prints each as JSON. */
  run(ctx: BenchContext): Promise<BenchResult[]>;
}

export type BenchResult = Record<string, unknown>;

export interface Statement {
  sql: string;
  params?: unknown[];
}

export interface OpsMeasurement {
  /** Best trial, operations per second. */
  ops_s: number;
  /** Median trial, operations per second. */
  median_ops_s: number;
  /** Operations per trial. */
  n: number;
  trials: number;
  timing: 'workerd-clock' | 'node-wall-minus-round-trip';
}

export interface BenchOptions {
  /** Target duration of one timed trial, seconds (--seconds, default 1). */
  seconds: number;
  /** Timed trials per measurement (--trials, default 5). */
  trials: number;
}

export interface BenchContext {
  /** Where the bench Worker listens (real app + /__bench/* routes). */
  baseUrl: URL;
  options: BenchOptions;
  /** The keys the bench Worker runs with (fresh, throwaway, per run). */
  keys: { credentialEncryptionKey: string; secretKey: string };
  /** fetch() relative to baseUrl. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** fetch() that expects 2xx and JSON; throws with the body otherwise. */
  json<T>(path: string, init?: RequestInit): Promise<T>;
  /** Runs statements as one atomic D1 batch in the bench Worker (seeding). */
  d1(statements: Statement[]): Promise<{ changes: number }[]>;
  /**
   * Measures a bench route that runs `n` operations in one request and
   * answers `{elapsed_ms}` by the workerd clock: warms up, calibrates n to
   * about `options.seconds`, then runs `options.trials` timed trials.
   * `path` may already have a query string; `n=` is appended.
   */
  opsPerSecond(path: string): Promise<OpsMeasurement>;
  /**
   * The same for several routes at once, e.g. {encrypt: '/__bench/x/enc', ...}:
   * each is calibrated, then the trials alternate between them.
   */
  opsPerSecondEach<K extends string>(paths: Record<K, string>): Promise<Record<K, OpsMeasurement>>;
  /** Median wall time of an empty request, ms. */
  roundTripMs(): Promise<number>;
  /** Progress to stderr (stdout carries only the JSON result lines). */
  log(message: string): void;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100) of the values. */
export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** POSTs JSON and expects 200: the wall time (ms) and the parsed answer. */
export async function timedPost(ctx: BenchContext, path: string, headers: Record<string, string>, body: unknown): Promise<{ ms: number; json: any }> {
  const t = performance.now();
  const res = await ctx.fetch(path, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  const ms = performance.now() - t;
  if (res.status !== 200) throw new Error(`POST ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return { ms, json: JSON.parse(text) };
}

/** Milliseconds rounded to two decimals, for result lines. */
export const roundMs = (ms: number): number => Math.round(ms * 100) / 100;

export function createContext(baseUrl: URL, options: BenchOptions, keys: BenchContext['keys']): BenchContext {
  const log = (message: string): void => void process.stderr.write(`[bench] ${message}\n`);
  const doFetch = (path: string, init?: RequestInit): Promise<Response> => fetch(new URL(path, baseUrl), init);

  async function json<T>(path: string, init?: RequestInit): Promise<T> {
    const res = await doFetch(path, init);
    const text = await res.text();
    if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
    return JSON.parse(text) as T;
  }

  async function roundTripMs(): Promise<number> {
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      await json('/__bench/ping');
      times.push(performance.now() - t);
    }
    return median(times);
  }

  /** One request of n operations: elapsed ms by the workerd clock, or by ours minus the round trip. */
  async function timed(path: string, n: number, rtt: number): Promise<{ ms: number; clock: OpsMeasurement['timing'] }> {
    const sep = path.includes('?') ? '&' : '?';
    const t = performance.now();
    const body = await json<{ elapsed_ms: number }>(`${path}${sep}n=${n}`);
    const wall = performance.now() - t;
    if (body.elapsed_ms > 0) return { ms: body.elapsed_ms, clock: 'workerd-clock' };
    return { ms: Math.max(wall - rtt, 0.001), clock: 'node-wall-minus-round-trip' };
  }

  /** Warms up and calibrates n so one request of `path` takes about options.seconds. */
  async function calibrate(path: string, rtt: number): Promise<number> {
    let n = 1000;
    let probe = await timed(path, n, rtt);
    while (probe.ms < 200) {
      n = Math.ceil(n * Math.min(10, 250 / Math.max(probe.ms, 1)));
      probe = await timed(path, n, rtt);
    }
    return Math.max(1, Math.round((n * options.seconds * 1000) / probe.ms));
  }

  async function opsPerSecondEach<K extends string>(paths: Record<K, string>): Promise<Record<K, OpsMeasurement>> {
    const rtt = await roundTripMs();
    const keys = Object.keys(paths) as K[];
    const ns = {} as Record<K, number>;
    for (const k of keys) ns[k] = await calibrate(paths[k], rtt);
    // Trials round-robin over the paths, so a burst of load from elsewhere on
    // the machine does not land on all trials of one operation.
    const rates = Object.fromEntries(keys.map((k) => [k, [] as number[]])) as Record<K, number[]>;
    const clocks = {} as Record<K, OpsMeasurement['timing']>;
    for (let i = 0; i < options.trials; i++) {
      for (const k of keys) {
        const r = await timed(paths[k], ns[k], rtt);
        if (clocks[k] !== 'node-wall-minus-round-trip') clocks[k] = r.clock;
        rates[k].push((ns[k] * 1000) / r.ms);
      }
    }
    const out = {} as Record<K, OpsMeasurement>;
    for (const k of keys) {
      out[k] = {
        ops_s: Math.round(Math.max(...rates[k])),
        median_ops_s: Math.round(median(rates[k])),
        n: ns[k],
        trials: rates[k].length,
        timing: clocks[k],
      };
    }
    return out;
  }

  async function opsPerSecond(path: string): Promise<OpsMeasurement> {
    return (await opsPerSecondEach({ only: path })).only;
  }

  async function d1(statements: Statement[]): Promise<{ changes: number }[]> {
    const body = await json<{ results: { changes: number }[] }>('/__bench/d1', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ statements }),
    });
    return body.results;
  }

  return { baseUrl, options, keys, fetch: doFetch, json, d1, opsPerSecond, opsPerSecondEach, roundTripMs, log };
}
