/**
 * Reads the two things the self-hosted editions need from wrangler.toml, so the
 * Worker's config stays the single source of truth: the plain `[vars]`
 * (defaults, overridable by the environment) and the Durable Object bindings
 * (`[durable_objects] bindings = [{ name = "POOL", class_name = "CredentialPool" }]`,
 * or the `[[durable_objects.bindings]]` table form). The file is parsed by a
 * TOML parser (smol-toml), so any valid TOML spelling works; a file that is
 * not valid TOML, or a binding without a name or class, is an error that says
 * where, never a silent omission.
 */
import { parse, TomlError } from 'smol-toml';

export interface ObjectBinding {
  name: string;
  className: string;
}

export class WranglerConfigError extends Error {
  override name = 'WranglerConfigError';
}

function parseToml(toml: string): Record<string, unknown> {
  try {
    return parse(toml) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) throw new WranglerConfigError(`wrangler.toml is not valid TOML (line ${e.line}, column ${e.column})`);
    throw e;
  }
}

function table(value: unknown, where: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new WranglerConfigError(`wrangler.toml: ${where} must be a table`);
  return value as Record<string, unknown>;
}

/** `[vars]` as strings (numbers and booleans as their text, like wrangler); JSON for tables and arrays. */
export function parseVars(toml: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(table(parseToml(toml).vars, '[vars]'))) {
    vars[k] = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : JSON.stringify(v);
  }
  return vars;
}

/** Every Durable Object binding under `[durable_objects]`. */
export function parseObjectBindings(toml: string): ObjectBinding[] {
  const list = table(parseToml(toml).durable_objects, '[durable_objects]').bindings ?? [];
  if (!Array.isArray(list)) throw new WranglerConfigError('wrangler.toml: durable_objects.bindings must be a list');
  return list.map((b, i) => {
    const { name, class_name } = table(b, `durable_objects.bindings[${i}]`);
    if (typeof name !== 'string' || typeof class_name !== 'string') {
      throw new WranglerConfigError(`wrangler.toml: durable_objects.bindings[${i}] needs a name and a class_name`);
    }
    return { name, className: class_name };
  });
}
