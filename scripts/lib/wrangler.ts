/**
 * Runs wrangler for the scripts: D1 SQL against the local database (default,
 * the same files `wrangler dev` uses) or the remote one (`--remote`).
 * SQL goes through a temp file (0600, deleted after), never the command
 * line, so values in it are not visible in the process list.
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

const WRANGLER = path.join(process.cwd(), 'node_modules', '.bin', 'wrangler');

export function runWrangler(args: string[], opts: { input?: string } = {}): string {
  const res = spawnSync(WRANGLER, args, {
    encoding: 'utf8',
    input: opts.input,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (res.error) throw new CliError(`could not run wrangler: ${res.error.message}`, 1);
  if (res.status !== 0) {
    const line = (res.stderr || res.stdout || '').split('\n').find((l) => /error|✘/i.test(l)) ?? 'unknown error';
    throw new CliError(`wrangler ${args.slice(0, 3).join(' ')} failed: ${line.replace(/^[\s✘▲X[\]ERROR]+/, '').trim()}`, 1);
  }
  return res.stdout;
}

function targetFlags(t: D1Target): string[] {
  const flags = t.remote ? ['--remote'] : ['--local'];
  if (!t.remote && t.persistTo) flags.push('--persist-to', t.persistTo);
  if (t.config) flags.push('--config', t.config);
  return flags;
}

/** Executes SQL and returns the result rows of every statement. */
export function d1Execute<Row = Record<string, unknown>>(sql: string, target: D1Target = {}): Row[][] {
  const dir = mkdtempSync(path.join(tmpdir(), 'arena-vault-sql-'));
  const file = path.join(dir, 'query.sql');
  try {
    writeFileSync(file, sql, { mode: 0o600 });
    const out = runWrangler(['d1', 'execute', 'DB', ...targetFlags(target), '--file', file, '--json', '--yes']);
    const parsed = JSON.parse(out.slice(out.indexOf('['))) as { results?: Row[] }[];
    return parsed.map((r) => r.results ?? []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function d1ApplyMigrations(target: D1Target = {}): void {
  runWrangler(['d1', 'migrations', 'apply', 'DB', ...targetFlags(target)], { input: 'y\n' });
}

/** Quoting for generated SQL files lives with the SQL renderer (src/db/sql-text.ts). */
export { sqlLiteral } from '../../src/db/sql-text.ts';
