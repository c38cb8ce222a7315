/**
 * Starts the real self-hosted server (deno/server.ts) as a child process on a
 * free localhost port, as `npm run start:deno` does (with every permission,
 * so tests can keep their files in temp directories; `denoArgs` with
 * `packageScriptArgs` runs the package.json script's own permission set
 * instead, test/deno/permissions.test.ts), and collects
 * everything it prints so tests can assert that no secret ever appears.
 * Also: its secrets in files (*_FILE, as Docker secrets mount them) and JSON
 * calls to it (test/support/selfhost-server.ts).
 */
import { join } from 'node:path';
import { ROOT } from './support.ts';

// The server-independent helpers are shared with the Node edition's tests.
export { bootstrapAdmin, callServer, secretsInFiles, serverPaths, writeSecret } from '../support/selfhost-server.ts';

export interface ServerProcess {
  baseUrl: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** SIGTERM (graceful) or SIGKILL (a crash); resolves with the exit status. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<Deno.CommandStatus>;
}

export function freePort(): number {
  const listener = Deno.listen({ port: 0, hostname: '127.0.0.1' });
  const { port } = listener.addr;
  listener.close();
  return port;
}

/**
 * The `deno` arguments of a package.json script (`start:deno`,
 * `bootstrap-admin:deno`), with `flags` put before the script file.
 */
export function packageScriptArgs(name: string, flags: string[] = []): string[] {
  const scripts = (JSON.parse(Deno.readTextFileSync(join(ROOT, 'package.json'))) as { scripts: Record<string, string> }).scripts;
  // The deno command is the last of the script's `a && b` steps (start:deno builds the API docs first).
  const words = (scripts[name] ?? '').split('&&').at(-1)!.trim().split(/\s+/);
  if (words[0] !== 'deno' || !words.at(-1)!.endsWith('.ts')) throw new Error(`package.json script ${name} is not \`deno … FILE.ts\``);
  return [...words.slice(1, -1), ...flags, words.at(-1)!];
}

function serverCommand(env: Record<string, string>, script = 'deno/server.ts', extra: string[] = [], denoArgs?: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: [
      ...(denoArgs ?? [
        'run',
        '--no-prompt',
        '--no-check',
        '--config',
        'deno/deno.json',
        '--allow-net',
        '--allow-read',
        '--allow-write',
        '--allow-env',
        script,
      ]),
      ...extra,
    ],
    cwd: ROOT,
    clearEnv: true,
    env: { PATH: Deno.env.get('PATH') ?? '', HOME: Deno.env.get('HOME') ?? '', NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1', ...env },
    stdin: 'null',
    stdout: 'piped',
    stderr: 'piped',
  });
}

async function collect(stream: ReadableStream<Uint8Array>, sink: { text: string }): Promise<void> {
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) sink.text += decoder.decode(r.value, { stream: true });
}

/** Runs the server (or another deno/ script) until it exits by itself; returns its status and output. */
export async function runServerToExit(
  env: Record<string, string>,
  script?: string,
  args: string[] = [],
  denoArgs?: string[],
): Promise<{ code: number; output: string }> {
  const result = await serverCommand(env, script, args, denoArgs).output();
  const dec = new TextDecoder();
  return { code: result.code, output: dec.decode(result.stdout) + dec.decode(result.stderr) };
}

/** Starts the server and waits for its `listening on` line (or its exit, which fails the test). */
export async function startServer(env: Record<string, string>, opts: { denoArgs?: (port: number) => string[] } = {}): Promise<ServerProcess> {
  const port = freePort();
  const child = serverCommand({ HOST: '127.0.0.1', PORT: String(port), ...env }, undefined, [], opts.denoArgs?.(port)).spawn();
  const sink = { text: '' };
  const pumps = Promise.all([collect(child.stdout, sink), collect(child.stderr, sink)]);
  let exited: Deno.CommandStatus | null = null;
  const status = child.status.then((s) => (exited = s));
  for (let i = 0; i < 600 && !sink.text.includes('listening on') && !exited; i++) await new Promise((r) => setTimeout(r, 50));
  if (!sink.text.includes('listening on')) {
    if (!exited) child.kill('SIGKILL');
    await status;
    await pumps;
    throw new Error(`the Deno server did not start:\n${sink.text}`);
  }
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    output: () => sink.text,
    stop: async (signal = 'SIGTERM') => {
      if (!exited) child.kill(signal);
      const s = await status;
      await pumps;
      return s;
    },
  };
}
