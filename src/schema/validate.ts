/**
 * The edge where input is parsed, once, by valibot schemas, through Hono's
 * validator seam: each middleware parses one part of the request and hands
 * the typed result to `c.req.valid(target)`.
 *
 * - `json(schema)`: the body as JSON. Unreadable JSON (or not an object) is
 *   400 `INVALID_JSON`; an empty body counts as `{}` only when `emptyIsObject`.
 * - `query(schema)`: the query string (one value per name).
 * - `params(schema)`: path parameters; a path that names nothing is 404
 *   `NOT_FOUND`, not a validation error.
 * - `form(schema, onInvalid)`: a page's form post; on problems the page
 *   re-renders itself through `onInvalid` with the same per-field messages
 *   the API sends.
 *
 * Every refusal lists every problem as `{field, message}` in one 422
 * `VALIDATION_FAILED` (schema/problems.ts). Messages are built from the schema
 * (its custom message, or `safeMessage` below), never from the input: the
 * value may be a secret. Each middleware carries its schema for the OpenAPI
 * document (schema/openapi.ts).
 *
 * @example
 *   api.post('/', json(AcquireBody), async (c) => pool.acquire(c.req.valid('json')));
 */
import type { Context, Env, MiddlewareHandler } from 'hono';
import * as v from 'valibot';
import { VaultError } from '../errors.ts';
import { validationError, type FieldProblem } from './problems.ts';
import { attachSpec, type ValidatorSpec } from './spec.ts';

type AnySchema = v.GenericSchema;

/** The form field that carries a page's CSRF token: checked by http/csrf.ts, never part of a page's parsed input. */
export const CSRF_FIELD = 'csrf_token';

/** A safe default message for an issue the schema gave no message for: names the rule, never the value. */
function safeMessage(issue: v.BaseIssue<unknown>): string {
  const expected = issue.expected ?? '';
  if (expected === 'never') return 'is not accepted here';
  if (issue.kind === 'schema' && /object$/.test(issue.type) && expected.startsWith('"')) return 'is required';
  if (issue.input === undefined && issue.kind === 'schema') return 'is required';
  switch (issue.type) {
    case 'string':
      return 'must be a string';
    case 'number':
      return 'must be a number';
    case 'boolean':
      return 'must be true or false';
    case 'array':
      return 'must be an array';
    case 'object':
    case 'strict_object':
    case 'loose_object':
    case 'record':
      return 'must be an object';
    case 'picklist':
    case 'literal':
    case 'enum':
      return `must be one of ${expected.replace(/"/g, '').split(' | ').join(', ')}`;
    case 'integer':
      return 'must be a whole number';
    case 'safe_integer':
      return 'must be a whole number';
    case 'min_value':
      return `must be at least ${String(issue.requirement)}`;
    case 'max_value':
      return `must be at most ${String(issue.requirement)}`;
    case 'min_length':
      return `must be at least ${String(issue.requirement)} characters`;
    case 'max_length':
      return `must be at most ${String(issue.requirement)} characters`;
    case 'regex':
      return 'has the wrong format';
    default:
      return 'is not valid';
  }
}

/** The dotted field path of an issue (`fields.api_key`, `arenas.0.tier`), or `body` for the whole input. */
function fieldOf(issue: v.BaseIssue<unknown>): string {
  const keys = (issue.path ?? []).map((p) => String(p.key));
  return keys.length ? keys.join('.') : 'body';
}

/** Every problem of a failed parse, one per field path (the first message wins). */
function problemsOf(issues: readonly v.BaseIssue<unknown>[]): FieldProblem[] {
  const seen = new Set<string>();
  const out: FieldProblem[] = [];
  for (const issue of issues) {
    const field = fieldOf(issue);
    if (seen.has(field)) continue;
    seen.add(field);
    out.push({ field, message: issue.message });
  }
  return out;
}

const CONFIG = { message: safeMessage, abortEarly: false } as const;

type ParseResult<S extends AnySchema> = { ok: true; value: v.InferOutput<S> } | { ok: false; problems: FieldProblem[] };

/** Parses `input` with `schema`: the typed value, or every problem. */
export function parseWith<S extends AnySchema>(schema: S, input: unknown): ParseResult<S> {
  const result = v.safeParse(schema, input, CONFIG);
  return result.success ? { ok: true, value: result.output } : { ok: false, problems: problemsOf(result.issues) };
}

/** Parses `input` with `schema`, or throws the one 422. For inputs that do not come through a route (RPC, scripts). */
export function parseOrThrow<S extends AnySchema>(schema: S, input: unknown): v.InferOutput<S> {
  const r = parseWith(schema, input);
  if (!r.ok) throw validationError(r.problems);
  return r.value;
}

/** The request body as JSON: 400 `INVALID_JSON` when it cannot be read as a JSON object. */
export async function readJsonBody(c: Context, emptyIsObject = false): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (emptyIsObject && text.trim() === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new VaultError('INVALID_JSON', 'The request body is not valid JSON.');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new VaultError('INVALID_JSON', 'The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

type Target = 'json' | 'query' | 'param' | 'form';
type Validated<T extends Target, S extends AnySchema> = {
  in: { [K in T]: v.InferInput<S> };
  out: { [K in T]: v.InferOutput<S> };
};

function validatorFor<T extends Target, S extends AnySchema, E extends Env>(
  target: T,
  schema: S,
  read: (c: Context<E>) => Promise<unknown> | unknown,
  onProblems: (c: Context<E>, problems: FieldProblem[], raw: unknown) => Response | Promise<Response>,
  spec: Omit<ValidatorSpec, 'kind' | 'target' | 'schema'> = {},
): MiddlewareHandler<E, string, Validated<T, S>> {
  const mw: MiddlewareHandler<E, string, Validated<T, S>> = async (c, next) => {
    const raw = await read(c as Context<E>);
    const r = parseWith(schema, raw);
    if (!r.ok) return onProblems(c as Context<E>, r.problems, raw);
    c.req.addValidatedData(target, r.value as never);
    await next();
  };
  return attachSpec(mw, { kind: 'validator', target, schema, ...spec });
}

/** Hono's own default for a middleware's Env: it fits every app unless the route names its Env. */
// biome-ignore lint/suspicious/noExplicitAny: Hono's validators default to any the same way; `Env` would refuse AppEnv's context
type AnyEnv = any;

const refuse = (_c: Context, problems: FieldProblem[]): never => {
  throw validationError(problems);
};

/** A JSON object body. `emptyIsObject`: an empty body means `{}` (routes whose every field is optional). */
export function json<S extends AnySchema, E extends Env = AnyEnv>(schema: S, opts: { emptyIsObject?: boolean } = {}) {
  return validatorFor<'json', S, E>('json', schema, (c) => readJsonBody(c, opts.emptyIsObject), refuse, { optionalBody: opts.emptyIsObject });
}

/** The query string, one value per name (a repeated name keeps the first). */
export function query<S extends AnySchema, E extends Env = AnyEnv>(schema: S) {
  return validatorFor<'query', S, E>('query', schema, (c) => c.req.query(), refuse);
}

/** Path parameters; a value that cannot name anything is 404, as an unknown id is. */
export function params<S extends AnySchema, E extends Env = AnyEnv>(schema: S, what = 'record') {
  return validatorFor<'param', S, E>(
    'param',
    schema,
    (c) => c.req.param(),
    () => {
      throw new VaultError('NOT_FOUND', `No such ${what}.`);
    },
  );
}

/**
 * A page's form fields (urlencoded or multipart) as strings; files are
 * dropped, and so is the CSRF token, which http/csrf.ts has already checked.
 */
export async function readFormFields(c: Context): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(body)) if (typeof val === 'string' && k !== CSRF_FIELD) out[k] = val;
  return out;
}

/**
 * A page's form. On problems, `onInvalid` renders the page again with them
 * (and the submitted values, for refilling the form: never echo a secret field).
 */
export function form<S extends AnySchema, E extends Env = AnyEnv>(
  schema: S,
  onInvalid: (c: Context<E>, problems: FieldProblem[], values: Record<string, string>) => Response | Promise<Response>,
) {
  return validatorFor<'form', S, E>(
    'form',
    schema,
    (c) => readFormFields(c),
    (c, problems, raw) => onInvalid(c, problems, raw as Record<string, string>),
  );
}
