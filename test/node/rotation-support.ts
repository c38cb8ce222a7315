/**
 * A real `wrangler dev` for the rotation's black-box tests: a temp directory
 * with a copy of wrangler.toml (main and migrations pointing back at this
 * project), its own .dev.vars, its own --persist-to state, a free port and a
 * free inspector port. Started in its own process group, so a test can
 * SIGKILL wrangler and workerd together, as a crash would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateApiKey } from '../../src/auth/api-keys.ts';
import { Fernet } from '../../src/crypto/fernet.ts';

export const ROOT = path.resolve(import.meta.dirname, '../..');
const WRANGLER = path.join(ROOT, 'node_modules', '.bin', 'wrangler');
const ENV = { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', CI: '1' };

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

function wrangler(args: string[], cwd: string): string {
  const res = spawnSync(WRANGLER, args, { cwd, env: ENV, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (res.status !== 0) throw new Error(`wrangler ${args.slice(0, 3).join(' ')} failed: ${(res.stderr || res.stdout).slice(-2000)}`);
  return res.stdout;
}

export class DevVault {
  readonly dir: string;
  readonly config: string;
  readonly state: string;
  readonly devVars: string;
  port = 0;
  #child: ChildProcess | null = null;
  log = '';

  constructor(vars: Record<string, string>) {
    this.dir = mkdtempSync(path.join(tmpdir(), 'arena-vault-rotation-'));
    this.config = path.join(this.dir, 'wrangler.toml');
    this.state = path.join(this.dir, 'state');
    this.devVars = path.join(this.dir, '.dev.vars');
    const toml = readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8')
      .replace(/^main = .*$/m, `main = ${JSON.stringify(path.join(ROOT, 'src/index.ts'))}`)
      .replace(/^migrations_dir = .*$/m, `migrations_dir = ${JSON.stringify(path.join(ROOT, 'migrations'))}`);
    writeFileSync(this.config, toml);
    writeFileSync(this.devVars, Object.entries(vars).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', { mode: 0o600 });
    wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', this.state, '--config', this.config], this.dir);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Runs SQL from a file against the local D1 (only while wrangler dev is stopped). */
  execute<Row = Record<string, unknown>>(sql: string): Row[][] {
    const file = path.join(this.dir, `q-${Date.now()}.sql`);
    writeFileSync(file, sql);
    try {
      const out = wrangler(['d1', 'execute', 'DB', '--local', '--persist-to', this.state, '--config', this.config, '--file', file, '--json', '--yes'], this.dir);
      return (JSON.parse(out.slice(out.indexOf('['))) as { results?: Row[] }[]).map((r) => r.results ?? []);
    } finally {
      rmSync(file, { force: true });
    }
  }

  async start(): Promise<void> {
    this.port = this.port || (await freePort());
    const inspector = await freePort();
    this.log = '';
    const child = spawn(
      WRANGLER,
      ['dev', '--config', this.config, '--ip', '127.0.0.1', '--port', String(this.port), '--inspector-port', String(inspector),
        '--persist-to', this.state, '--show-interactive-dev-session=false'],
      { cwd: this.dir, env: ENV, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.#child = child;
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      if (child.exitCode !== null) throw new Error(`wrangler dev exited: ${this.log.slice(-2000)}`);
      try {
        const res = await fetch(`${this.url}/api/health`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`wrangler dev did not come up: ${this.log.slice(-2000)}`);
  }

  /** SIGKILL the whole process group (wrangler and workerd): no cleanup, like a crash. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    this.#child = null;
    // workerd is in the same group; wait until the port is free again.
    for (let i = 0; i < 100; i++) {
      try {
        await fetch(`${this.url}/api/health`, { signal: AbortSignal.timeout(500) });
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the killed vault still answers');
  }

  async dispose(): Promise<void> {
    await this.kill().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  async json(method: string, p: string, apiKey?: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(this.url + p, {
      method,
      headers: { ...(apiKey ? { authorization: `ApiKey ${apiKey}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      return { status: res.status, body: text };
    }
  }
}

const sql = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Seeds `n` credential rows encrypted under `fernet`, and an admin-scope API
 * key; returns the key and id → plaintext of every row (ids are 1..n in a
 * fresh database).
 */
export async function seedVault(v: DevVault, n: number, fernet: Fernet): Promise<{ apiKey: string; originals: Map<number, string> }> {
  const originals = new Map<number, string>();
  const now = Date.now();
  const lines: string[] = [];
  for (let start = 0; start < n; start += 200) {
    const values: string[] = [];
    for (let i = start; i < Math.min(n, start + 200); i++) {
      const plain = JSON.stringify({ api_key: `canary-${i}-${crypto.randomUUID()}` });
      originals.set(i + 1, plain);
      values.push(`(${i + 1}, 'serper', 'medium', ${sql(`row ${i + 1}`)}, ${sql(await fernet.encrypt(plain))}, ${sql(fernet.keyId)}, ${now}, ${now})`);
    }
    lines.push(`INSERT INTO api_credentials (id, platform, tier, credential_name, encrypted_value, key_id, created_at, updated_at) VALUES ${values.join(',\n')};`);
  }
  const key = generateApiKey();
  lines.push(`INSERT INTO api_keys (name, scope, user_id, key_prefix, key_hash, created_at) VALUES ('rotation test', 'admin', NULL, ${sql(key.prefix)}, ${sql(key.hash)}, ${now});`);
  v.execute(lines.join('\n'));
  return { apiKey: key.key, originals };
}

/** Every row, decrypted with `fernet` alone: id → plaintext (throws on any row it cannot open). */
export async function decryptAll(v: DevVault, fernet: Fernet): Promise<Map<number, string>> {
  const [rows] = v.execute<{ id: number; key_id: string; encrypted_value: string }>('SELECT id, key_id, encrypted_value FROM api_credentials ORDER BY id');
  const out = new Map<number, string>();
  const dec = new TextDecoder();
  for (const r of rows!) {
    if (r.key_id !== fernet.keyId) throw new Error(`row ${r.id} is under ${r.key_id}, not ${fernet.keyId}`);
    out.set(r.id, dec.decode(await fernet.decrypt(r.encrypted_value)));
  }
  return out;
}
