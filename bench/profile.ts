/**
 * `npm run bench:profile -- <section> [--top N] [--callers fnA,fnB]`: runs one
 * bench section with workerd's DevTools inspector on and prints where the
 * Worker's CPU went while it ran (the bench Worker: the real app and its
 * Durable Objects, in one isolate).
 *
 * - self time: the functions the samples stopped in (a native call such as a
 *   SQLite statement or an RPC counts as the JS function that made it);
 * - inclusive time: each function with everything it called synchronously;
 * - `--callers`: the call chains that lead to the named functions.
 *
 * Each line shows the bundled source line, so the names need no source map.
 * The section's own result line is printed first; its figures are lower than
 * in `npm run bench`, because the profiler costs CPU too.
 */
import WebSocket from 'ws';
import { startBenchWorker } from './bench-worker.ts';
import { createContext, type BenchSection } from './context.ts';
import { type Profile, report } from './profile-report.ts';

const PORT = 9339;

const USAGE =
  'usage: npm run bench:profile -- <section> [--top N] [--callers fnA,fnB]\n' +
  '  <section>      a bench section (npm run bench -- --list)\n' +
  '  --top N        rows per table (default 40)\n' +
  '  --callers a,b  the call chains into these functions\n';

function parseArgs(argv: string[]): { section: string; top: number; callers: string[] } {
  const out = { section: '', top: 40, callers: [] as string[] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--help' || argv[i] === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (argv[i] === '--top') out.top = Number(argv[++i]);
    else if (argv[i] === '--callers') out.callers = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (!out.section) out.section = argv[i]!;
    else throw new Error(`unexpected argument: ${argv[i]}`);
  }
  if (!out.section || !Number.isInteger(out.top) || out.top < 1) {
    throw new Error(USAGE);
  }
  return out;
}

/** A DevTools protocol session over the inspector's WebSocket. */
async function inspect(url: string) {
  // wrangler's inspector proxy accepts only the Host it expects (Node's built-in WebSocket sends the address).
  const ws = new WebSocket(url, { headers: { Host: `localhost:${PORT}` } });
  await new Promise((resolve, reject) => {
    ws.on('open', resolve);
    ws.on('error', reject);
  });
  let id = 0;
  let workerScript = '';
  const pending = new Map<number, (result: any) => void>();
  ws.on('message', (data) => {
    const m = JSON.parse(String(data));
    if (m.method === 'Debugger.scriptParsed' && String(m.params.url).endsWith('worker.js')) workerScript = m.params.scriptId;
    if (m.id && pending.has(m.id)) {
      pending.get(m.id)!(m.result);
      pending.delete(m.id);
    }
  });
  const send = (method: string, params: object = {}) =>
    new Promise<any>((resolve) => {
      pending.set(++id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { send, workerScript: () => workerScript, close: () => ws.close() };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const section = (await import(`./sections/${args.section}.ts`)).default as BenchSection;
  process.env.BENCH_INSPECTOR_PORT = String(PORT);
  const log = (m: string): void => void process.stderr.write(`[bench:profile] ${m}\n`);
  const worker = await startBenchWorker(log);
  try {
    const targets = (await (await fetch(`http://127.0.0.1:${PORT}/json`)).json()) as { webSocketDebuggerUrl: string }[];
    const session = await inspect(targets[0]!.webSocketDebuggerUrl);
    await session.send('Debugger.enable');
    await session.send('Profiler.enable');
    await session.send('Profiler.setSamplingInterval', { interval: 200 });
    await session.send('Profiler.start');
    for (const result of await section.run(createContext(worker.url, { seconds: 1, trials: 3 }, worker.keys))) {
      console.log(JSON.stringify({ section: section.name, ...result }));
    }
    const { profile } = (await session.send('Profiler.stop')) as { profile: Profile };
    const scriptId = session.workerScript();
    const source = scriptId ? String((await session.send('Debugger.getScriptSource', { scriptId })).scriptSource).split('\n') : [];
    report(profile, source, args.top, args.callers);
    session.close();
  } finally {
    await worker.stop();
  }
}

await main();
