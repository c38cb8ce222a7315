/**
 * A real `wrangler dev` of this project on a fresh local D1, for the Node-side
 * black-box suites (test/e2e, test/node). Node only: the workerd tests never
 * import this file.
 *
 * Everything lives in one temp directory: a copy of wrangler.toml whose `main`,
 * `migrations_dir`, `[assets] directory` and `[build]` point back at this
 * project (so wrangler's custom build writes the static assets there before it
 * serves), the `.dev.vars` wrangler reads beside that copy (the project's own
 * .dev.vars is never read nor written), and the `--persist-to` state. wrangler runs in its own process
 * group on a free port with a free inspector port, so `stop()` and `kill()`
 * end wrangler and its workerd together. A restart keeps the same state.
 * Subclasses receive every line wrangler prints through `output()`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const WRANGLER = path.join(ROOT, 'node_modules', '.bin', 'wrangler');
const CHILD_ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', CI: '1' };
const START_TIMEOUT_MS = 90_000;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** A copy of this project's wrangler.toml at `file` whose `main` and `migrations_dir` point back here. */
export function writeProjectConfig(file: string): void {
  const toml = readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8')
    .replace(/^main = .*$/m, `main = ${JSON.stringify(path.join(ROOT, 'src/index.ts'))}`)
    .replace(/^migrations_dir = .*$/m, `migrations_dir = ${JSON.stringify(path.join(ROOT, 'migrations'))}`)
    // The static assets (the API reference page's Swagger UI) and the build that writes them live in the project too.
    .replace(/^directory = "(.*)"$/m, (_, dir: string) => `directory = ${JSON.stringify(path.join(ROOT, dir))}`)
    .replace(/^\[build\]$/m, `[build]\ncwd = ${JSON.stringify(ROOT)}\nwatch_dir = ${JSON.stringify(path.join(ROOT, 'src'))}`);
  writeFileSync(file, toml);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends `signal` to the whole process group of `pid`; false when it is already gone. */
function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

export interface ApiResponse {
  status: number;
  text: string;
  /** The parsed body, or null when it is not JSON. */
  json: any;
}

export class WranglerDev {
  readonly dir: string;
  readonly config: string;
  readonly state: string;
  readonly devVars: string;
  port = 0;
  #child: ChildProcess | null = null;
  #exited: Promise<unknown> | null = null;

  constructor(tempPrefix: string) {
    this.dir = mkdtempSync(path.join(tmpdir(), tempPrefix));
    this.config = path.join(this.dir, 'wrangler.toml');
    this.state = path.join(this.dir, 'state');
    this.devVars = path.join(this.dir, '.dev.vars');
    writeProjectConfig(this.config);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Where wrangler's output and the commands run go; nowhere by default. */
  protected output(_text: string): void {}

  /** The variables wrangler dev reads at its next start. */
  writeVars(vars: Record<string, string>): void {
    writeFileSync(
      this.devVars,
      `${Object.entries(vars)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n')}\n`,
      { mode: 0o600 },
    );
  }

  /** Runs a command to completion (to output()), throwing with its tail on failure. */
  protected run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): string {
    this.output(`\n$ ${path.basename(cmd)} ${args.join(' ')}\n`);
    const res = spawnSync(cmd, args, {
      cwd: opts.cwd ?? this.dir,
      env: { ...CHILD_ENV, ...opts.env },
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 120_000,
      maxBuffer: 512 * 1024 * 1024,
      input: '',
    });
    this.output((res.stdout ?? '') + (res.stderr ?? ''));
    if (res.status !== 0) {
      const tail = (res.stderr || res.stdout || '').slice(-2000);
      throw new Error(`${path.basename(cmd)} ${args.slice(0, 3).join(' ')} failed (${res.error?.message ?? `exit ${res.status}`}): ${tail}`);
    }
    return res.stdout;
  }

  protected wrangler(args: string[]): string {
    return this.run(WRANGLER, args);
  }

  applyMigrations(): void {
    this.wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', this.state, '--config', this.config]);
  }

  /**
   * Starts wrangler dev and waits until /api/health answers: with `vars`
   * written to .dev.vars first, or with the .dev.vars as it stands.
   */
  async start(vars?: Record<string, string>, label = ''): Promise<void> {
    if (this.#child) throw new Error('wrangler dev is already running');
    if (vars) this.writeVars(vars);
    this.port = this.port || (await freePort());
    const inspector = await freePort();
    this.output(`\n===== wrangler dev: ${label} (port ${this.port}) =====\n`);
    const child = spawn(
      WRANGLER,
      [
        'dev',
        '--config',
        this.config,
        '--ip',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--inspector-port',
        String(inspector),
        '--persist-to',
        this.state,
        '--show-interactive-dev-session=false',
        '--log-level',
        'info',
      ],
      { cwd: this.dir, env: CHILD_ENV, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d: Buffer) => this.output(d.toString()));
    child.stderr!.on('data', (d: Buffer) => this.output(d.toString()));
    this.#child = child;
    this.#exited = new Promise((r) => child.once('exit', r));
    const until = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < until) {
      if (child.exitCode !== null) throw new Error(`wrangler dev exited early (${child.exitCode})${this.failureHint()}`);
      try {
        const res = await fetch(`${this.url}/api/health`, { signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
        if (res.status < 500) return;
      } catch {
        // not up yet
      }
      await sleep(200);
    }
    throw new Error(`wrangler dev did not answer within ${START_TIMEOUT_MS / 1000} s${this.failureHint()}`);
  }

  /** Appended to start failures: where to read wrangler's output. */
  protected failureHint(): string {
    return '';
  }

  /** Stops wrangler and its workerd (SIGTERM, SIGKILL after 5 s) and waits until the port is free. */
  async stop(): Promise<void> {
    const child = this.#detach();
    if (!child) return;
    if (child.exited === null) {
      signalGroup(child.pid, 'SIGTERM');
      const hard = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), 5000);
      await child.exit;
      clearTimeout(hard);
    }
    // workerd may outlive wrangler by a moment; make sure the group is gone.
    signalGroup(child.pid, 'SIGKILL');
    await this.#untilPortFree('the stopped vault still answers');
  }

  /** SIGKILL the whole process group (wrangler and workerd): no cleanup, like a crash. */
  async kill(): Promise<void> {
    const child = this.#detach();
    if (!child || child.exited !== null) return;
    signalGroup(child.pid, 'SIGKILL');
    await child.exit;
    await this.#untilPortFree('the killed vault still answers');
  }

  /** For signal handlers: SIGKILL the wrangler process group at once. */
  killNow(): void {
    const pid = this.#child?.pid;
    if (pid) signalGroup(pid, 'SIGKILL');
  }

  async dispose(keepState = false): Promise<void> {
    await this.stop().catch(() => undefined);
    if (!keepState) rmSync(this.dir, { recursive: true, force: true });
  }

  /** A JSON call to the REST API, with an API key when given. */
  async api(method: string, p: string, apiKey?: string, body?: unknown): Promise<ApiResponse> {
    const res = await fetch(this.url + p, {
      method,
      headers: { ...(apiKey ? { authorization: `ApiKey ${apiKey}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, text, json };
  }

  /** Forgets the running child: its pid, whether it had exited, and its exit. */
  #detach(): { pid: number; exited: number | string | null; exit: Promise<unknown> } | null {
    const child = this.#child;
    if (!child) return null;
    this.#child = null;
    return { pid: child.pid!, exited: child.exitCode ?? child.signalCode, exit: this.#exited! };
  }

  async #untilPortFree(stillUp: string): Promise<void> {
    for (let i = 0; i < 100; i++) {
      try {
        const res = await fetch(`${this.url}/api/health`, { signal: AbortSignal.timeout(300) });
        await res.body?.cancel();
      } catch {
        return;
      }
      await sleep(100);
    }
    throw new Error(stillUp);
  }
}
