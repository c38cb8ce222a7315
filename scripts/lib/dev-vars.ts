/**
 * Reads and writes `.dev.vars` (wrangler's local secrets file, dotenv syntax,
 * git-ignored). Writes are atomic (temp file + rename) with mode 0600 and keep
 * lines the vault does not own.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const DEV_VARS = '.dev.vars';

export function devVarsPath(root = process.cwd()): string {
  return path.join(root, DEV_VARS);
}

export function parseDevVars(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const name = line.slice(0, eq).trim();
    let value = line.slice(eq + 1).trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    out[name] = value;
  }
  return out;
}

export function readDevVars(file = devVarsPath()): Record<string, string> | null {
  return existsSync(file) ? parseDevVars(readFileSync(file, 'utf8')) : null;
}

/** Sets (or, with `undefined`, removes) the given names, keeping every other line. */
export function updateDevVars(updates: Record<string, string | undefined>, file = devVarsPath()): void {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split(/\r?\n/) : [];
  const pending = new Map(Object.entries(updates));
  const out: string[] = [];
  for (const line of lines) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    if (m && pending.has(m[1]!)) {
      const v = pending.get(m[1]!);
      pending.delete(m[1]!);
      if (v !== undefined) out.push(`${m[1]}=${v}`);
      continue;
    }
    out.push(line);
  }
  while (out.length && out[out.length - 1] === '') out.pop();
  for (const [k, v] of pending) if (v !== undefined) out.push(`${k}=${v}`);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, `${out.join('\n')}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}
