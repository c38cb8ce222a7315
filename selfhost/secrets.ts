/**
 * Settings for the self-hosted editions: each binding comes from the
 * environment variable of the same name, or from a file named by
 * `<NAME>_FILE` (the Docker-secrets convention:
 * `SECRET_KEY_FILE=/run/secrets/secret_key`). Pure apart from the two
 * readers it is given, so it is tested without touching the environment.
 *
 * Rules:
 *  - the plain variable and its `_FILE` set together is an error (which one
 *    wins would be a guess);
 *  - a `_FILE` that cannot be read is an error naming the variable and path;
 *  - a file's trailing newline(s) are dropped (`echo` and most editors add one);
 *  - an error never contains a value, only names and paths.
 *
 * @example
 *   import { readFileSync } from 'node:fs';
 *   const values = resolveSettings(['SECRET_KEY'], (n) => process.env[n], (p) => readFileSync(p, 'utf8'));
 */

export class SettingsError extends Error {
  readonly problems: string[];
  constructor(problems: string[], message?: string) {
    super(message ?? `The vault's settings are invalid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'SettingsError';
    this.problems = problems;
  }
}

export type ReadEnv = (name: string) => string | undefined;
export type ReadFile = (path: string) => string;

/**
 * When `e` is Deno's NotCapable (the access is outside the permission set the
 * process runs with, deno/deno.json), one line saying what was refused and
 * where the allowed paths are documented; otherwise null.
 */
export function outsidePermissions(e: unknown): string | null {
  if (!(e instanceof Error) || e.name !== 'NotCapable') return null;
  const what = /Requires (\w+ access to "[^"]*"|\w+ access)/.exec(e.message)?.[1] ?? 'access';
  return `refused ${what}: it is outside the Deno permission set this process runs with (deno/deno.json; see docs/deno.md#permissions)`;
}

/** node:fs error codes (Node, and Deno's node:fs) in the words Deno's own errors use. */
const READ_FAILURES: Record<string, string> = {
  ENOENT: 'NotFound',
  ENOTDIR: 'NotFound',
  EACCES: 'PermissionDenied',
  EPERM: 'PermissionDenied',
  EISDIR: 'IsADirectory',
};

/** Why a file read failed, in words that hold no file content. */
function readFailure(e: unknown): string {
  if (outsidePermissions(e)) return 'NotCapable: outside the Deno permission set, see docs/deno.md#permissions';
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return READ_FAILURES[code] ?? code;
  if (e instanceof Error && /^[A-Za-z]+$/.test(e.name) && e.name !== 'Error') return e.name; // Deno.readTextFileSync: NotFound, PermissionDenied ...
  return 'unreadable';
}

/**
 * Resolves each name from `NAME` or `NAME_FILE`. Names with neither are left
 * out. Throws one SettingsError listing every problem found.
 */
export function resolveSettings(names: readonly string[], readEnv: ReadEnv, readFile: ReadFile): Record<string, string> {
  const values: Record<string, string> = {};
  const problems: string[] = [];
  for (const name of names) {
    const plain = readEnv(name);
    const path = readEnv(`${name}_FILE`);
    if (path !== undefined && plain !== undefined) {
      problems.push(`${name} and ${name}_FILE are both set; set only one of them (the _FILE form is for Docker or systemd secrets)`);
      continue;
    }
    if (path !== undefined) {
      if (path.trim() === '') {
        problems.push(`${name}_FILE is set but empty; give the path of the file that holds ${name}`);
        continue;
      }
      try {
        values[name] = readFile(path).replace(/[\r\n]+$/, '');
      } catch (e) {
        problems.push(`${name}_FILE points to ${path}, which cannot be read (${readFailure(e)}); check the path, the mount and the file's permissions`);
      }
      continue;
    }
    if (plain !== undefined) values[name] = plain;
  }
  if (problems.length) throw new SettingsError(problems);
  return values;
}
