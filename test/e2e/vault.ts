/**
 * The vault under test: a real `wrangler dev` on a fresh local D1.
 *
 * Everything lives in one temp directory: a copy of wrangler.toml whose `main`
 * and `migrations_dir` point back at this project, the `.dev.vars` wrangler
 * reads beside that copy (test keys generated per run; the project's own
 * .dev.vars is never read nor written), and the `--persist-to` state. A
 * restart with other variables (a new key ring) keeps the same state, as an
 * operator's `wrangler secret bulk` + redeploy would. The whole wrangler log
 * of every start goes to one file for debugging.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const WRANGLER = path.join(ROOT, 'node_modules', '.bin', 'wrangler');
const CHILD_ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', CI: '1' };

export type Vars = Record<string, string>;

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class E2eVault {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'arena-vault-e2e-'));
  readonly config = path.join(this.dir, 'wrangler.toml');
  readonly state = path.join(this.dir, 'state');
  port = 0;
  #child: ChildProcess | null = null;
  #exited: Promise<unknown> | null = null;

  constructor(readonly logFile: string) {
    const toml = readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8')
      .replace(/^main = .*$/m, `main = ${JSON.stringify(path.join(ROOT, 'src/index.ts'))}`)
      .replace(/^migrations_dir = .*$/m, `migrations_dir = ${JSON.stringify(path.join(ROOT, 'migrations'))}`);
    writeFileSync(this.config, toml);
    writeFileSync(logFile, `arena-vault e2e: wrangler log (${new Date().toISOString()})\n`);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  #log(text: string): void {
    appendFileSync(this.logFile, text);
  }

  /** Runs a command to completion (logged), throwing with its tail on failure. */
  #run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): string {
    this.#log(`\n$ ${path.basename(cmd)} ${args.join(' ')}\n`);
    const res = spawnSync(cmd, args, {
      cwd: opts.cwd ?? this.dir,
      env: { ...CHILD_ENV, ...opts.env },
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 120_000,
      maxBuffer: 64 * 1024 * 1024,
      input: '',
    });
    this.#log((res.stdout ?? '') + (res.stderr ?? ''));
    if (res.status !== 0) throw new Error(`${path.basename(cmd)} ${args.slice(0, 3).join(' ')} failed (${res.error?.message ?? `exit ${res.status}`}); see ${this.logFile}`);
    return res.stdout;
  }

  applyMigrations(): void {
    this.#run(WRANGLER, ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', this.state, '--config', this.config]);
  }

  /** The first admin, through the project's own script (password via env, never argv). */
  bootstrapAdmin(email: string, password: string): string {
    return this.#run(process.execPath, ['--import', 'tsx', 'scripts/bootstrap-admin.ts', '--persist-to', this.state], {
      cwd: ROOT,
      env: { FIRST_ADMIN_EMAIL: email, FIRST_ADMIN_PASSWORD: password },
    });
  }

  /** Starts wrangler dev with these variables (written to the temp .dev.vars) and waits for /api/health. */
  async start(vars: Vars, label: string): Promise<void> {
    if (this.#child) throw new Error('the vault is already running');
    writeFileSync(path.join(this.dir, '.dev.vars'), Object.entries(vars).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', { mode: 0o600 });
    this.port = this.port || (await freePort());
    const inspector = await freePort();
    this.#log(`\n===== wrangler dev: ${label} (port ${this.port}) =====\n`);
    const child = spawn(
      WRANGLER,
      ['dev', '--config', this.config, '--ip', '127.0.0.1', '--port', String(this.port), '--inspector-port', String(inspector),
        '--persist-to', this.state, '--show-interactive-dev-session=false', '--log-level', 'info'],
      { cwd: this.dir, env: CHILD_ENV, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d: Buffer) => this.#log(d.toString()));
    child.stderr!.on('data', (d: Buffer) => this.#log(d.toString()));
    this.#child = child;
    this.#exited = new Promise((r) => child.once('exit', r));
    const until = Date.now() + 90_000;
    while (Date.now() < until) {
      if (child.exitCode !== null) throw new Error(`wrangler dev exited early (${child.exitCode}); see ${this.logFile}`);
      try {
        const res = await fetch(`${this.url}/api/health`, { signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
        if (res.status < 500) return;
      } catch {
        // not up yet
      }
      await sleep(200);
    }
    throw new Error(`wrangler dev did not answer within 90 s; see ${this.logFile}`);
  }

  /** Stops wrangler and its workerd (the whole process group) and waits until the port is free. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = null;
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
      const hard = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5000);
      await this.#exited;
      clearTimeout(hard);
    }
    // workerd may outlive wrangler by a moment; make sure the group is gone.
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    for (let i = 0; i < 100; i++) {
      try {
        const res = await fetch(`${this.url}/api/health`, { signal: AbortSignal.timeout(300) });
        await res.body?.cancel();
      } catch {
        return;
      }
      await sleep(100);
    }
    throw new Error('the stopped vault still answers');
  }

  /** For signal handlers: SIGKILL the wrangler process group at once. */
  killNow(): void {
    const pid = this.#child?.pid;
    if (pid) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  async dispose(keepState: boolean): Promise<void> {
    await this.stop().catch(() => undefined);
    if (!keepState) rmSync(this.dir, { recursive: true, force: true });
  }

  /** A JSON call to the REST API with an API key. */
  async api(method: string, p: string, apiKey: string, body?: unknown): Promise<{ status: number; text: string; json: any }> {
    const res = await fetch(this.url + p, {
      method,
      headers: { authorization: `ApiKey ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
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
}
