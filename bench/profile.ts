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

const PORT = 9339;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

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

function report(profile: Profile, source: string[], top: number, callers: string[]): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  for (const [i, s] of profile.samples.entries()) self.set(s, (self.get(s) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const keyOf = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
  const line = (key: string, t: number) => {
    const at = Number(key.split(':').pop());
    const text = key.includes('worker.js') ? (source[at] ?? '').trim().slice(0, 100) : '';
    return `${((t / total) * 100).toFixed(1).padStart(5)}%  ${key}  ${text}`;
  };
  const print = (title: string, m: Map<string, number>) => {
    console.log(`--- ${title}`);
    for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(line(k, t));
  };

  const selfByFn = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [nodeId, t] of self) {
    const k = keyOf(byId.get(nodeId)!);
    selfByFn.set(k, (selfByFn.get(k) ?? 0) + t);
    const seen = new Set<string>(); // a function counted once per stack
    for (let cur: number | undefined = nodeId; cur !== undefined; cur = parent.get(cur)) {
      const ck = keyOf(byId.get(cur)!);
      if (seen.has(ck)) continue;
      seen.add(ck);
      inclusive.set(ck, (inclusive.get(ck) ?? 0) + t);
    }
  }
  print('self time', selfByFn);
  print('inclusive time', inclusive);
  for (const fn of callers) {
    const chains = new Map<string, number>();
    for (const n of profile.nodes.filter((x) => x.callFrame.functionName === fn)) {
      let t = 0;
      for (const stack = [n.id]; stack.length; ) {
        const x = stack.pop()!;
        t += self.get(x) ?? 0;
        stack.push(...(byId.get(x)!.children ?? []));
      }
      const chain: string[] = [];
      for (let p = parent.get(n.id); p !== undefined && chain.length < 4; p = parent.get(p)) chain.push(keyOf(byId.get(p)!));
      chains.set(chain.join(' <- '), (chains.get(chain.join(' <- ')) ?? 0) + t);
    }
    console.log(`--- callers of ${fn}`);
    for (const [k, t] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, 5)) console.log(`${((t / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  }
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
