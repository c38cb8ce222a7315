/**
 * Starts the Node edition as `npm run start:node` and the Docker image run
 * it: the bundle node/build.ts writes (dist/node-server.mjs), in a child
 * process on a free localhost port, with only the environment given (no
 * inherited secrets). Collects everything it prints, so tests can assert that
 * no secret ever appears. Server-independent helpers (secrets in files, JSON
 * calls, seeded rows) are in test/support/selfhost-server.ts, shared with
 * the Deno edition's tests.
 */
import { spawn, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { buildNodeEdition } from '../../../node/build.ts';
import { ROOT } from '../../support/wrangler-dev.ts';

export const SERVER_BUNDLE = join('dist', 'node-server.mjs');
export const BOOTSTRAP_BUNDLE = join('dist', 'node-bootstrap-admin.mjs');

export interface NodeServer {
  baseUrl: string;
  pid: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** SIGTERM (graceful) or SIGKILL (a crash); resolves with the exit code and signal. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

let built: Promise<void> | undefined;
/** Bundles the edition once per test file (as `npm run build:node`). */
export function buildOnce(): Promise<void> {
  built ??= buildNodeEdition();
  return built;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function spawnNode(script: string, env: Record<string, string>, args: string[] = [], extra: SpawnOptions = {}) {
  return spawn(process.execPath, ['--enable-source-maps', script, ...args], {
    cwd: ROOT, // `extra.cwd` runs another copy (the image's files, docker.test.ts)
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...extra,
  });
}

/** Runs the server (or the bootstrap bundle) until it exits by itself; returns its exit code and output. */
export function runToExit(
  env: Record<string, string>,
  opts: { script?: string; args?: string[]; spawn?: SpawnOptions } = {},
): Promise<{ code: number | null; output: string }> {
  const child = spawnNode(opts.script ?? SERVER_BUNDLE, env, opts.args, opts.spawn);
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** Starts the server (from the repository, or from `cwd`) and waits for its `listening on` line (or its exit, which fails the test). */
export async function startNodeServer(env: Record<string, string>, opts: { cwd?: string } = {}): Promise<NodeServer> {
  const port = await freePort();
  const child = spawnNode(SERVER_BUNDLE, { HOST: '127.0.0.1', PORT: String(port), ...env }, [], opts.cwd ? { cwd: opts.cwd } : {});
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    }),
  );
  for (let i = 0; i < 600 && !text.includes('listening on') && !exit; i++) await new Promise((r) => setTimeout(r, 50));
  if (!text.includes('listening on')) {
    if (!exit) child.kill('SIGKILL');
    await closed;
    throw new Error(`the Node server did not start:\n${text}`);
  }
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    output: () => text,
    stop: async (signal = 'SIGTERM') => {
      if (!exit) child.kill(signal);
      return closed;
    },
  };
}
