/**
 * Reads the two things the Deno edition needs from wrangler.toml, so the
 * Worker's config stays the single source of truth: the plain `[vars]`
 * (defaults, overridable by the environment) and the Durable Object bindings
 * (`{ name = "POOL", class_name = "CredentialPool" }`). Also lists the
 * binding names the Env interface (src/env.ts) declares as strings, so every
 * one of them can come from the environment or a `_FILE`.
 * Deliberately small: it reads only these shapes, not all of TOML.
 */

export interface ObjectBinding {
  name: string;
  className: string;
}

function unquote(value: string): string {
  const v = value.trim();
  const m = /^"((?:[^"\\]|\\.)*)"/.exec(v) ?? /^'([^']*)'/.exec(v);
  if (!m) return v.replace(/\s*#.*$/, '');
  return m[1]!.replace(/\\(["\\nt])/g, (_, c: string) => ({ n: '\n', t: '\t' })[c] ?? c);
}

/** Lines of one top-level `[section]`, without comments. */
function section(toml: string, name: string): string[] {
  const lines = toml.split(/\r?\n/);
  const out: string[] = [];
  let inside = false;
  for (const raw of lines) {
    const line = raw.trim();
    const header = /^\[+([^\]]+)\]+\s*(#.*)?$/.exec(line);
    if (header) {
      inside = header[1]!.trim() === name;
      continue;
    }
    if (inside && line && !line.startsWith('#')) out.push(line);
  }
  return out;
}

/** `[vars]` as strings (numbers and booleans as their text, like wrangler). */
export function parseVars(toml: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of section(toml, 'vars')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)$/.exec(line);
    if (m) vars[m[1]!] = unquote(m[2]!);
  }
  return vars;
}

/** Every `{ name = "…", class_name = "…" }` under `[durable_objects]`. */
export function parseObjectBindings(toml: string): ObjectBinding[] {
  const text = section(toml, 'durable_objects').join('\n');
  const out: ObjectBinding[] = [];
  for (const m of text.matchAll(/\{([^}]*)\}/g)) {
    const name = /\bname\s*=\s*"([^"]+)"/.exec(m[1]!)?.[1];
    const className = /\bclass_name\s*=\s*"([^"]+)"/.exec(m[1]!)?.[1];
    if (name && className) out.push({ name, className });
  }
  return out;
}

/** Names of the string bindings in `interface Env { … }` (secrets and vars). */
export function parseEnvStringNames(envTs: string): string[] {
  const body = /interface\s+Env\s*\{([\s\S]*?)\n\}/.exec(envTs)?.[1] ?? '';
  return [...body.matchAll(/^\s*([A-Z][A-Z0-9_]*)\??\s*:\s*string\s*;/gm)].map((m) => m[1]!);
}
