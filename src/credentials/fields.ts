/**
 * The schema of each platform's credential `fields`, derived from the arena
 * registry (src/arenas/registry.ts) and nowhere written by hand: exactly the
 * platform's fields, each a string that is trimmed (a pasted key's trailing
 * newline is never part of the key), not empty, one line under the
 * single-line rule (schema/text.ts), within the field's length bounds and
 * matching its pattern, if any. The output lists the fields in registry
 * order, which keeps the encrypted JSON stable for equal inputs.
 *
 * The same schemas check `POST /api/credentials` (schema/validate.ts's json
 * validator), the add and replace-secret pages, `PUT …/secret` (through
 * `validateCredentialFields`, because the platform is the stored row's), the
 * verify report and the import script. Messages name fields and limits, never
 * the submitted value (it may be a secret).
 *
 * @example
 *   validateCredentialFields('reddit', { client_id: 'a', client_secret: '…', user_agent: 'research/1.0' });
 */
import * as v from 'valibot';
import { PLATFORMS, PLATFORM_IDS, getPlatform, type CredentialFieldSpec, type PlatformId, type PlatformSpec } from '../arenas/registry.ts';
import { validationError, type FieldProblem } from '../schema/problems.ts';
import { parseWith } from '../schema/validate.ts';
import { isSingleLine, SINGLE_LINE_MESSAGE } from '../schema/text.ts';

export type { FieldProblem };

/** A credential's decrypted payload: field name → value, as the registry lists them. */
export type CredentialFields = Record<string, string>;

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

/**
 * One field's value: a string, trimmed, not empty, one line, within the
 * field's bounds and pattern. One flat pipe, so the OpenAPI document shows
 * every bound (a schema inside the pipe would end its input schema early).
 */
function fieldValueSchema(platform: PlatformSpec, f: CredentialFieldSpec) {
  const value = v.pipe(
    v.string((issue) => (issue.input === undefined || issue.input === null ? `is required for ${platform.id}` : 'must be a string')),
    v.trim(),
    v.nonEmpty('is required and must not be empty'),
    v.check(isSingleLine, SINGLE_LINE_MESSAGE),
    v.minLength(f.minLength, `must be at least ${f.minLength} characters`),
    v.maxLength(f.maxLength, `must be at most ${f.maxLength} characters`),
    v.description(`${f.label}${f.secret ? ' (secret)' : ''}${f.patternHint ? `: ${f.patternHint}` : ''}`),
  );
  // Nested under the string schema at its head, the pipe stays flat for the document.
  return f.pattern ? v.pipe(value, v.regex(f.pattern, `has the wrong format (${f.patternHint ?? 'see the platform docs'})`)) : value;
}

/** The `fields` object of one platform: exactly its fields (unknown ones are refused, naming the known ones). */
function platformFieldsSchema(platform: PlatformSpec) {
  const names = platform.fields.map((f) => f.name);
  return v.strictObject(Object.fromEntries(platform.fields.map((f) => [f.name, fieldValueSchema(platform, f)])), (issue) => {
    if (issue.expected === 'never') return `is not a field of ${platform.id} (expected ${names.join(', ')})`;
    // A missing key is an issue of the object, expecting the key's name.
    if (issue.expected?.startsWith('"')) return `is required for ${platform.id}`;
    return `must be an object with the fields of ${platform.id}`;
  });
}

/** Each registry platform's `fields` schema. */
export const CREDENTIAL_FIELDS: Readonly<Record<PlatformId, ReturnType<typeof platformFieldsSchema>>> = Object.fromEntries(
  PLATFORM_IDS.map((id) => [id, platformFieldsSchema(PLATFORMS[id])]),
) as Record<PlatformId, ReturnType<typeof platformFieldsSchema>>;

/** `input` checked as `platformId`'s fields: the trimmed fields in registry order, or every problem named under `path`. */
function parseFields(platformId: string, input: unknown, path: string): { ok: true; fields: CredentialFields } | { ok: false; problems: FieldProblem[] } {
  const platform = getPlatform(platformId);
  if (!platform) return { ok: false, problems: [{ field: 'platform', message: 'is not a platform of the arena registry' }] };
  // valibot takes an array for an object; a list of index keys would say less than this.
  if (!isPlainObject(input)) return { ok: false, problems: [{ field: path, message: `must be an object with the fields of ${platform.id}` }] };
  const r = parseWith(CREDENTIAL_FIELDS[platform.id as PlatformId], input);
  if (r.ok) return { ok: true, fields: r.value as CredentialFields };
  return { ok: false, problems: r.problems.map((p) => ({ field: p.field === 'body' ? path : `${path}.${p.field}`, message: p.message })) };
}

/** The problems with a whole fields object for `platformId` (empty when valid). */
export function credentialFieldProblems(platformId: string, input: unknown, path = 'fields'): FieldProblem[] {
  const r = parseFields(platformId, input, path);
  return r.ok ? [] : r.problems;
}

/**
 * The validated, trimmed fields in registry order, or a 422 naming every bad
 * field. For a platform known only at run time (the stored row's, on `PUT …/secret`).
 */
export function validateCredentialFields(platformId: string, input: unknown, path = 'fields'): CredentialFields {
  const r = parseFields(platformId, input, path);
  if (!r.ok) throw validationError(r.problems);
  return r.fields;
}
