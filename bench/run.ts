/**
 * `npm run bench`: benchmarks measured INSIDE workerd, against the real Worker.
 *
 *   npm run bench                           # every section
 *   npm run bench -- --only fernet          # some sections (comma-separated)
 *   npm run bench -- --seconds 2 --trials 7 # longer / more trials (defaults 1 and 5)
 *   npm run bench -- --list                 # list the sections
 *
 * stdout carries ONLY results: one JSON object per line, each with `section`
 * first (e.g. {"section":"fernet","runtime":"workerd","encrypt_ops_s":...}).
 * Progress goes to stderr, so `npm run bench -s > results.jsonl` keeps a clean log.
 *
 * How it works: run.ts starts bench/worker.ts in local workerd (wrangler's
 * unstable_startWorker, bench/bench-worker.ts) on a free 127.0.0.1 port, with
 * fresh keys and a temporary D1/Durable Object store with the migrations
 * applied. bench/worker.ts is the real app and Durable Objects from
 * src/index.ts plus bench-only routes under /__bench/* (bench/routes/*.ts);
 * the production Worker (src/index.ts) never imports bench code.
 *
 * WRITING A SECTION: add bench/sections/<name>.ts (found automatically; the
 * file name is the section name, so `--only <name>` loads just that file) with
 *
 *   import type { BenchSection } from '../context.ts';
 *   export default {
 *     name: '<name>',
 *     description: 'what it measures, one line',
 *     async run(ctx) {
 *       await ctx.d1([ownerQuery(textOnlyDb, row).toSQL()]);            // seed (one atomic batch; the SQL is the
 *                                                                       // table owner's, src/db/owners.ts; see seed.ts)
 *       const list = await ctx.opsPerSecond('/__bench/<name>/list');   // N ops in one request, timed in workerd
 *       const res = await ctx.fetch('/api/health');                    // the real app, as a client sees it
 *       return [{ runtime: 'workerd', list_ops_s: list.ops_s }];       // one object per output line
 *     },
 *   } satisfies BenchSection;
 *
 * ctx (bench/context.ts): baseUrl, options {seconds, trials}, keys (the
 * Worker's CREDENTIAL_ENCRYPTION_KEY and SECRET_KEY), fetch(path, init),
 * * json(path, init), d1(statements), opsPerSecond(path), opsPerSecondEach({name: path}),
 * roundTripMs(), log(msg).
 * When a section needs code to run inside the Worker (e.g. "acquire a lease
 * 10,000 times"), add a route file bench/routes/<name>.ts exporting a Hono app
 * with paths under /__bench/<name>/ that runs `?n=` operations and answers
 * `{elapsed_ms}` (timed with performance.now(); see bench/routes/fernet.ts),
 * and list it in BENCH_ROUTES in bench/worker.ts.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createContext, type BenchOptions, type BenchSection } from './context.ts';
import { startBenchWorker } from './bench-worker.ts';

const SECTIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sections');

interface Args {
  only?: string[];
  list: boolean;
  options: BenchOptions;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { list: false, options: { seconds: 1, trials: 5 } };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--list') args.list = true;
    else if (a.startsWith('--only'))
      args.only = value()
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    else if (a.startsWith('--seconds')) args.options.seconds = positive(value(), a);
    else if (a.startsWith('--trials')) args.options.trials = Math.round(positive(value(), a));
    else if (a === '--help' || a === '-h') {
      // --help prints no results, so stdout (where --help belongs) is free.
      process.stdout.write('usage: npm run bench [-- --only a,b] [--seconds S] [--trials N] [--list]\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  return args;
}

function positive(v: string, flag: string): number {
  const n = Number(v);
  if (!(n > 0)) throw new Error(`${flag} must be a positive number`);
  return n;
}

/** Section names are their file names, so `--only` imports just those files. */
function sectionNames(): string[] {
  return readdirSync(SECTIONS_DIR)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function loadSection(name: string): Promise<BenchSection> {
  const file = path.join(SECTIONS_DIR, `${name}.ts`);
  const mod = (await import(pathToFileURL(file).href)) as { default?: BenchSection };
  const s = mod.default;
  if (!s || s.name !== name || typeof s.run !== 'function') {
    throw new Error(`bench/sections/${name}.ts must default-export { name: '${name}', description, run(ctx) }`);
  }
  return s;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const names = sectionNames();
  if (args.list) {
    for (const name of names) process.stdout.write(`${name}\t${(await loadSection(name)).description}\n`);
    return 0;
  }
  const unknown = (args.only ?? []).filter((n) => !names.includes(n));
  if (unknown.length) throw new Error(`no such section: ${unknown.join(', ')} (have: ${names.join(', ')})`);
  const chosen: BenchSection[] = [];
  for (const name of args.only ?? names) chosen.push(await loadSection(name));

  // Results alone go to stdout: wrangler and miniflare log with console.*,
  // so everything else written to stdout from here on is sent to stderr.
  const writeResult = process.stdout.write.bind(process.stdout);
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  const log = (m: string): void => void process.stderr.write(`[bench] ${m}\n`);
  const worker = await startBenchWorker(log);
  let failed = 0;
  try {
    const ctx = createContext(worker.url, args.options, worker.keys);
    const clock = await ctx.json<{ cpu_loop: { performance_now_ms: number } }>('/__bench/clock?spin_ms=50');
    log(`workerd clock ${clock.cpu_loop.performance_now_ms > 0 ? 'advances' : 'is frozen'} during CPU work`);
    for (const section of chosen) {
      log(`section ${section.name}: ${section.description}`);
      try {
        for (const result of await section.run(ctx)) {
          writeResult(`${JSON.stringify({ section: section.name, ...result })}\n`);
        }
      } catch (e) {
        failed++;
        log(`section ${section.name} FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      }
    }
  } finally {
    await worker.stop();
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`[bench] ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
