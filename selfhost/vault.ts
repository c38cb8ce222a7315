/**
 * Assembles the self-hosted vault: settings (env or `_FILE`), the SQLite file
 * with the Worker's migrations applied, the Durable Object classes running
 * in-process, and the Worker's own fetch handler from src/index.ts — the same
 * Hono app, routes and classes Cloudflare runs. node/server.ts and
 * deno/server.ts serve it (start.ts holds what they share); tests
 * call `vault.fetch` directly.
 *
 * @example
 *   const vault = await openVault({ env: process.env });
 *   const res = await vault.fetch(new Request('http://localhost/api/health'));
 *   await vault.close();
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteD1Database } from './d1-sqlite.ts';
import { applyMigrations, readMigrationFiles } from './migrations.ts';
import { resolveSettings, SettingsError } from './secrets.ts';
import { parseObjectBindings, parseVars } from './wrangler-config.ts';
import { InProcessNamespace } from './object-namespace.ts';
import { env as workersEnv, settled, waitUntil } from './cloudflare-workers.ts';
import { BINDINGS, parseConfig, type RawBindings } from '../src/config.ts';
import { STATIC_ASSETS_DIR } from '../src/docs/assets.ts';
import { staticAsset } from './static-assets.ts';
import { SELFHOST_CRON, startScheduler } from './scheduler.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DEFAULT_DATABASE_PATH = 'data/arena-vault.sqlite';

export interface VaultOptions {
  /** The process environment (or a test's stand-in). */
  env: Record<string, string | undefined>;
  /** Reads a `_FILE` path; defaults to readFileSync (node:fs, which Deno serves too). */
  readFile?: (path: string) => string;
  /** Overrides DATABASE_PATH. */
  databasePath?: string;
  /** Stop (SettingsError) when the secrets fail the Worker's own config check, before touching the database. */
  refuseInvalidSecrets?: boolean;
  /** The static assets directory (wrangler.toml `[assets]`); default build/public in the repository. */
  assetsDir?: string;
  /** Runs `scheduled` on a timer this often (scheduler.ts); absent or null: never on its own. */
  alertCheckIntervalMs?: number | null;
}

export interface Vault {
  /** The static assets (API reference files), else the Worker's fetch handler with the self-hosted bindings. */
  fetch(request: Request): Promise<Response>;
  /** The Worker's `scheduled` handler (the cron trigger's work: the alert checks), run to its end. */
  scheduled(scheduledTime: number): Promise<void>;
  bindings: Record<string, unknown>;
  databasePath: string;
  migrationsApplied: string[];
  alarmsRearmed: number;
  /** Stops the scheduler, waits for in-flight object calls and background work, then closes every file. */
  close(): Promise<void>;
}

/**
 * The names the app reads from its environment: the Worker's string bindings
 * (`BINDINGS` in src/config.ts; tsc holds src/env.ts to the same list) and the
 * [vars] of wrangler.toml.
 */
export function bindingNames(vars: Record<string, string>): string[] {
  return [...new Set([...BINDINGS, ...Object.keys(vars)])];
}

/** Opens (creating if needed) the vault's SQLite file with D1's settings and applies the Worker's migrations. */
export async function openDatabase(databasePath: string): Promise<{ sqlite: DatabaseSync; migrationsApplied: string[] }> {
  mkdirSync(dirname(databasePath), { recursive: true });
  const sqlite = new DatabaseSync(databasePath);
  // D1 enforces foreign keys; WAL + FULL sync keeps every committed batch across a crash or power loss.
  sqlite.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
  const migrationsApplied = applyMigrations(sqlite, await readMigrationFiles(join(ROOT, 'migrations')));
  return { sqlite, migrationsApplied };
}

/** Where DATABASE_PATH points, relative paths from the working directory; default data/arena-vault.sqlite in the repository. */
export function databasePathFrom(env: Record<string, string | undefined>): string {
  return resolve(env.DATABASE_PATH ?? join(ROOT, DEFAULT_DATABASE_PATH));
}

/**
 * The Worker answers CONFIG_INVALID until its secrets are fixed; a server we
 * start ourselves can do better and refuse to start, saying which variable to
 * set (never its value).
 */
async function refuseInvalidSecrets(values: RawBindings): Promise<void> {
  const { problems } = await parseConfig(values);
  if (!problems.length) return;
  const names = [...new Set(problems.map((p) => p.binding))];
  throw new SettingsError(
    problems.map((p) => p.problem),
    `The vault's secrets are invalid:\n${problems.map((p) => `  - ${p.problem}`).join('\n')}\n` +
      `Set ${names.map((n) => `${n} (or ${n}_FILE)`).join(', ')} in the server's environment; docs/node.md (Node) and docs/deno.md (Deno) show how.`,
  );
}

/**
 * The in-process Durable Objects are only correct if one process owns them
 * (one pool, one rotation): an exclusive SQLite lock on a guard file is held
 * for the server's life; a second server on the same DATABASE_PATH stops
 * with a clear error. The OS drops the lock when the process dies.
 */
function holdSingleInstance(objectsDir: string, databasePath: string): DatabaseSync {
  mkdirSync(objectsDir, { recursive: true });
  const guard = new DatabaseSync(`${objectsDir}/server.lock`);
  try {
    guard.exec('PRAGMA busy_timeout = 0; PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE');
  } catch {
    guard.close();
    throw new SettingsError([`another arena-vault server is already using DATABASE_PATH=${databasePath}; run one server per database`]);
  }
  return guard;
}

export async function openVault(options: VaultOptions): Promise<Vault> {
  const wranglerToml = readFileSync(join(ROOT, 'wrangler.toml'), 'utf8');
  const vars = parseVars(wranglerToml);
  const readEnv = (name: string) => options.env[name];
  const readFile = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const settings = resolveSettings(bindingNames(vars), readEnv, readFile);
  if (options.env.DATABASE_PATH_FILE !== undefined) throw new SettingsError(['DATABASE_PATH_FILE is not supported; set DATABASE_PATH']);
  if (options.refuseInvalidSecrets) await refuseInvalidSecrets({ ...vars, ...settings });

  const databasePath = options.databasePath ? resolve(options.databasePath) : databasePathFrom(options.env);
  const objectsDir = `${databasePath}.objects`;
  const guard = holdSingleInstance(objectsDir, databasePath); // before anything touches the database
  const { sqlite, migrationsApplied } = await openDatabase(databasePath);

  // The Worker module: same app, same Durable Object classes ('cloudflare:workers' is deno/cloudflare-workers.ts).
  const worker = await import('../src/index.ts');
  const bindings: Record<string, unknown> = { ...vars, ...settings, DB: new SqliteD1Database(sqlite) };
  const namespaces: InProcessNamespace[] = [];
  for (const b of parseObjectBindings(wranglerToml)) {
    const cls = (worker as Record<string, unknown>)[b.className];
    if (typeof cls !== 'function') throw new Error(`wrangler.toml binds ${b.name} to ${b.className}, which src/index.ts does not export`);
    const ns = new InProcessNamespace(b.className, cls as never, objectsDir, () => bindings);
    namespaces.push(ns);
    bindings[b.name] = ns;
  }
  Object.assign(workersEnv, bindings);

  let alarmsRearmed = 0;
  for (const ns of namespaces) alarmsRearmed += await ns.rearmAlarms();

  const assetsDir = resolve(options.assetsDir ?? join(ROOT, STATIC_ASSETS_DIR));
  const exported = worker.default as {
    fetch: (r: Request, env: unknown, ctx: unknown) => Response | Promise<Response>;
    scheduled: (controller: unknown, env: unknown, ctx: unknown) => unknown;
  };
  const handler = exported.fetch;
  const ctx = { waitUntil, passThroughOnException: () => {}, props: {} };
  /** The handler hands its work to waitUntil; this run waits for it, so runs never overlap. */
  const scheduled = async (scheduledTime: number): Promise<void> => {
    const work: Promise<unknown>[] = [];
    const runCtx = { ...ctx, waitUntil: (p: Promise<unknown>) => void work.push(p) };
    await exported.scheduled({ scheduledTime, cron: SELFHOST_CRON, noRetry: () => {} }, bindings, runCtx);
    await Promise.all(work);
  };
  const scheduler = options.alertCheckIntervalMs ? startScheduler(scheduled, options.alertCheckIntervalMs) : null;
  return {
    fetch: async (request) => (await staticAsset(request, assetsDir)) ?? (await handler(request, bindings, ctx)),
    scheduled,
    bindings,
    databasePath,
    migrationsApplied,
    alarmsRearmed,
    close: async () => {
      await scheduler?.stop();
      await settled();
      await Promise.all(namespaces.map((ns) => ns.close()));
      guard.close();
      sqlite.close();
    },
  };
}
