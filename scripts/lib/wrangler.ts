/**
 * Runs wrangler for the scripts: D1 SQL against the local database (default,
 * the same files `wrangler dev` uses) or the remote one (`--remote`), and the
 * Worker's secrets.
 *
 * - `d1Execute` sends SQL through a temp file (0600, deleted after), never the
 *   command line, so values in it are not visible in the process list. Note:
 *   with `--remote`, `wrangler d1 execute --file` goes through D1's import API,
 *   which runs the file but returns no rows (only a summary): use it for writes.
 * - `d1Query` is for reads that need rows: remotely it passes the SQL with
 *   `--command` (D1's query API), so that SQL must hold no secret value.
 * - Secrets go to wrangler through stdin only (`secret bulk`).
 *
 * wrangler is this project's own (node_modules/.bin next to scripts/), and
 * `ARENA_VAULT_WRANGLER_CONFIG` (or `D1Target.config`) names another wrangler.toml.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CliError } from './cli.ts';

export interface D1Target {
  remote?: boolean;
  /** Local persistence dir (wrangler's --persist-to); default `.wrangler/state`. */
  persistTo?: string;
  /** wrangler config path; default ./wrangler.toml. */
  config?: string;
}

/** The checkout this script belongs to. */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..', '..');
const WRANGLER = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'wrangler');

/** The wrangler.toml the scripts act on: $ARENA_VAULT_WRANGLER_CONFIG, else ./wrangler.toml. */
export function wranglerConfig(): string | undefined {
  return process.env.ARENA_VAULT_WRANGLER_CONFIG || undefined;
}

function spawnWrangler(args: string[], input: string | undefined) {
  const config = wranglerConfig();
  if (config && !args.includes('--config')) args = [...args, '--config', config];
  const res = spawnSync(WRANGLER, args, {
    encoding: 'utf8',
    input,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (res.error) throw new CliError(`could not run wrangler: ${res.error.message}`, 1);
  return res;
}

/** A failed wrangler run as one line: the command and wrangler's first error line. */
function wranglerFailure(args: string[], res: { stdout: string; stderr: string }): CliError {
  const line =
    (res.stderr || res.stdout || '')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the terminal's colour escapes
      .replace(/\x1b\[[0-9;]*m/g, '')
      .split('\n')
      .find((l) => /error|✘/i.test(l)) ?? 'unknown error';
  return new CliError(`wrangler ${args.slice(0, 3).join(' ')} failed: ${line.replace(/^[\s✘▲X[\]ERROR]+/, '').trim()}`, 1);
}

export function runWrangler(args: string[], opts: { input?: string } = {}): string {
  const res = spawnWrangler(args, opts.input);
  if (res.status !== 0) throw wranglerFailure(args, res);
  return res.stdout;
}

function targetFlags(t: D1Target): string[] {
  const flags = t.remote ? ['--remote'] : ['--local'];
  if (!t.remote && t.persistTo) flags.push('--persist-to', t.persistTo);
  if (t.config) flags.push('--config', t.config);
  return flags;
}

/** The rows of each statement in `wrangler d1 execute --json` output. */
function resultRows<Row>(out: string): Row[][] {
  return (JSON.parse(out.slice(out.indexOf('['))) as { results?: Row[] }[]).map((r) => r.results ?? []);
}

/**
 * Executes SQL from a temp file and returns the result rows of every statement
 * (locally; with `--remote` D1's import API returns a summary, not rows).
 */
export function d1Execute<Row = Record<string, unknown>>(sql: string, target: D1Target = {}): Row[][] {
  const dir = mkdtempSync(path.join(tmpdir(), 'arena-vault-sql-'));
  const file = path.join(dir, 'query.sql');
  try {
    writeFileSync(file, sql, { mode: 0o600 });
    return resultRows<Row>(runWrangler(['d1', 'execute', 'DB', ...targetFlags(target), '--file', file, '--json', '--yes']));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A read that needs its rows, locally or remotely. Remotely the SQL travels on
 * wrangler's command line (`--command`): never put a secret value in it.
 */
export function d1Query<Row = Record<string, unknown>>(sql: string, target: D1Target = {}): Row[][] {
  if (!target.remote) return d1Execute<Row>(sql, target);
  return resultRows<Row>(runWrangler(['d1', 'execute', 'DB', ...targetFlags(target), '--command', sql, '--json', '--yes']));
}

/** The names of the Worker's secrets (Cloudflare never returns their values). */
export function secretNames(): string[] {
  const args = ['secret', 'list', '--format', 'json'];
  const res = spawnWrangler(args, undefined);
  if (res.status !== 0) {
    // No Worker yet (Cloudflare error 10007): it has no secrets.
    if (/\b10007\b|Worker "[^"]+" not found/.test(res.stdout + res.stderr)) return [];
    throw wranglerFailure(args, res);
  }
  return (JSON.parse(res.stdout.slice(res.stdout.indexOf('['))) as { name: string }[]).map((s) => s.name);
}

/** Sets several Worker secrets in one new version; the JSON goes through stdin, never a file or argv. */
export function secretBulk(secrets: Record<string, string>): void {
  runWrangler(['secret', 'bulk'], { input: JSON.stringify(secrets) });
}

export function secretDelete(name: string): void {
  runWrangler(['secret', 'delete', name], { input: 'y\n' });
}

export function d1ApplyMigrations(target: D1Target = {}): void {
  runWrangler(['d1', 'migrations', 'apply', 'DB', ...targetFlags(target)], { input: 'y\n' });
}

/** The D1 migrations `wrangler d1 migrations list DB --remote` shows as pending (file names, in order), and its output. */
export function pendingMigrations(): { names: string[]; output: string } {
  const output = runWrangler(['d1', 'migrations', 'list', 'DB', '--remote']);
  return { names: [...new Set([...output.matchAll(/\b\d+_[\w.-]+\.sql\b/g)].map((m) => m[0]))], output };
}

/**
 * The Worker version serving all traffic now (`wrangler deployments status --json`). A split
 * (gradual) deployment has no one version to return to: a CliError.
 */
export function liveVersionId(): string {
  const out = runWrangler(['deployments', 'status', '--json']);
  const deployment = JSON.parse(out.slice(out.indexOf('{'))) as { versions?: { version_id: string; percentage: number }[] };
  const full = deployment.versions?.find((v) => v.percentage === 100);
  if (!full)
    throw new CliError(
      'the Worker has a split (gradual) deployment: finish it with `npx wrangler versions deploy` first, so a rollback has one version to return to',
      1,
    );
  return full.version_id;
}

/** `wrangler rollback VERSION`: puts that version back at 100 % of traffic (bound resources such as D1 are not touched). */
export function rollbackTo(versionId: string, message: string): string {
  return runWrangler(['rollback', versionId, '--message', message, '--yes']);
}
