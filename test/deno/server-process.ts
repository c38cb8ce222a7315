/**
 * Starts the real self-hosted server (deno/server.ts) as a child process on a
 * free localhost port, as `npm run start:deno` does (with every permission,
 * so tests can keep their files in temp directories; `denoArgs` with
 * `packageScriptArgs` runs the package.json script's own permission set
 * instead, test/deno/permissions.test.ts), and collects
 * everything it prints so tests can assert that no secret ever appears.
 * Also: its secrets in files (*_FILE, as Docker secrets mount them) and JSON
 * calls to it.
 */
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { hexEncode } from '../../src/crypto/encoding.ts';
import { Fernet } from '../../src/crypto/fernet.ts';
import { hashPassword } from '../../src/crypto/password.ts';
import { ROOT } from './support.ts';

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
    args: [...(denoArgs ?? ['run', '--no-prompt', '--no-check', '--config', 'deno/deno.json', '--allow-net', '--allow-read', '--allow-write', '--allow-env', script]), ...extra],
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

/** Creates an active admin straight in the server's SQLite file, with the real password hasher. */
export async function bootstrapAdmin(databasePath: string, email: string, password: string): Promise<number> {
  const hashed = await hashPassword(password);
  const db = new DatabaseSync(databasePath);
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    const now = Date.now();
    const row = db
      .prepare(
        `INSERT INTO users (email, hashed_password, display_name, role, is_active, token_version, created_at, updated_at)
         VALUES (?, ?, 'Smoke admin', 'admin', 1, 0, ?, ?) RETURNING id`,
      )
      .get(email, hashed, now, now) as { id: number };
    return row.id;
  } finally {
    db.close();
  }
}

export const serverPaths = (dir: string) => ({
  database: join(dir, 'vault.sqlite'),
  secretKey: join(dir, 'secrets', 'secret_key'),
  credentialKey: join(dir, 'secrets', 'credential_encryption_key'),
  credentialKeyPrevious: join(dir, 'secrets', 'credential_encryption_key_previous'),
});

/** Writes a secret file (0600) with a trailing newline, as `echo` writes it. */
export async function writeSecret(path: string, value: string): Promise<void> {
  Deno.mkdirSync(dirname(path), { recursive: true });
  await Deno.writeTextFile(path, `${value}\n`, { mode: 0o600 });
}

/**
 * A server directory with its secrets in files: a fresh SECRET_KEY and
 * `oldKey` as the credential key; `base` is the env that points at them.
 * `installRing()` then makes `newKey` current and `oldKey` previous (files
 * only; a restart picks them up) and returns the env for that ring.
 */
export async function secretsInFiles(dir: string) {
  const paths = serverPaths(dir);
  const oldKey = Fernet.generateKey();
  const newKey = Fernet.generateKey();
  await writeSecret(paths.secretKey, hexEncode(crypto.getRandomValues(new Uint8Array(32))));
  await writeSecret(paths.credentialKey, oldKey);
  const base = { DATABASE_PATH: paths.database, SECRET_KEY_FILE: paths.secretKey, CREDENTIAL_ENCRYPTION_KEY_FILE: paths.credentialKey };
  return {
    paths,
    oldKey,
    newKey,
    base,
    async installRing(): Promise<Record<string, string>> {
      await writeSecret(paths.credentialKey, newKey);
      await writeSecret(paths.credentialKeyPrevious, oldKey);
      return { ...base, CREDENTIAL_ENCRYPTION_KEY_PREVIOUS_FILE: paths.credentialKeyPrevious };
    },
  };
}

/** A JSON call to the server, with a bearer token when given; `body` is {} when the answer is not JSON (a page). */
export async function callServer(server: ServerProcess, method: string, path: string, opts: { token?: string; json?: unknown } = {}) {
  const res = await fetch(server.baseUrl + path, {
    method,
    headers: {
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.json !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: opts.json === undefined ? undefined : JSON.stringify(opts.json),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (a page); the status tells
  }
  return { status: res.status, body, text };
}
