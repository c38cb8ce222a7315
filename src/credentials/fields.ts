/**
 * Validates a credential's `fields` object against the arena registry:
 * every field the platform needs is present, no field it does not know, each
 * value a string of sane length without control characters (and matching the
 * field's pattern, if any). Values are trimmed: a pasted key's trailing
 * newline is never part of the key.
 *
 * Violations are one 422 `VALIDATION_FAILED` whose message names the first bad
 * field and whose `problems` list names them all. Messages name fields and
 * limits, never the submitted value (it may be a secret).
 *
 * @example
 *   validateCredentialFields('reddit', { client_id: 'a', client_secret: '…', user_agent: 'research/1.0' });
 */
import { getPlatform, type PlatformSpec } from '../arenas/registry.ts';
import { validationError, type FieldProblem } from '../schema/problems.ts';
import { singleLineProblem } from '../schema/text.ts';

export type { FieldProblem };

/** A credential's decrypted payload: field name → value, as the registry lists them. */
export type CredentialFields = Record<string, string>;


export function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/** The problems with one field value (already known to be a field of the platform). */
function valueProblem(spec: PlatformSpec['fields'][number], value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  const v = value.trim();
  if (v.length === 0) return 'is required and must not be empty';
  const line = singleLineProblem(v);
  if (line) return line;
  if (v.length < spec.minLength) return `must be at least ${spec.minLength} characters`;
  if (v.length > spec.maxLength) return `must be at most ${spec.maxLength} characters`;
  if (spec.pattern && !spec.pattern.test(v)) return `has the wrong format (${spec.patternHint ?? 'see the platform docs'})`;
  return null;
}

/** The problems with a whole fields object for `platformId` (empty when valid). */
export function credentialFieldProblems(platformId: string, input: unknown, path = 'fields'): FieldProblem[] {
  const platform = getPlatform(platformId);
  if (!platform) return [{ field: 'platform', message: `unknown platform "${platformId}"` }];
  if (!isPlainObject(input)) return [{ field: path, message: `must be an object with the fields of ${platform.id}` }];
  const problems: FieldProblem[] = [];
  const known = new Set(platform.fields.map((f) => f.name));
  for (const name of Object.keys(input)) {
    if (!known.has(name)) {
      problems.push({ field: `${path}.${name}`, message: `is not a field of ${platform.id} (expected ${[...known].join(', ')})` });
    }
  }
  for (const f of platform.fields) {
    if (!Object.prototype.hasOwnProperty.call(input, f.name) || input[f.name] === undefined || input[f.name] === null) {
      problems.push({ field: `${path}.${f.name}`, message: `is required for ${platform.id}` });
      continue;
    }
    const p = valueProblem(f, input[f.name]);
    if (p) problems.push({ field: `${path}.${f.name}`, message: p });
  }
  return problems;
}

/**
 * The validated, trimmed fields in registry order, or a 422 naming the field.
 * Registry order keeps the encrypted JSON stable for equal inputs.
 */
export function validateCredentialFields(platformId: string, input: unknown, path = 'fields'): CredentialFields {
  const problems = credentialFieldProblems(platformId, input, path);
  if (problems.length) throw validationError(problems);
  const obj = input as Record<string, string>;
  const out: CredentialFields = {};
  for (const f of getPlatform(platformId)!.fields) out[f.name] = obj[f.name]!.trim();
  return out;
}
