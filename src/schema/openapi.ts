/**
 * The OpenAPI 3.1 document of the REST API, derived from the router: every
 * `/api` route the app holds, with the schemas its validators parse, the
 * permission its guard demands, the responses its `describe` lists and the
 * error codes all of these imply (statuses from errors.ts, the one map).
 * Nothing here is written twice, so the document cannot drift from the code.
 *
 * Served at `GET /api/openapi.json` (no authentication); rendered at `/api/docs`.
 * Those two routes are served but not described in the document itself
 * (`includeInSchema: false`), as FastAPI, the original platform's framework,
 * leaves its own /openapi.json and /docs out (`include_in_schema=False`).
 * Spec: https://spec.openapis.org/oas/v3.1.0
 */
import type { RouterRoute } from 'hono/types';
import { toJsonSchema, type ConversionConfig } from '@valibot/to-json-schema';
import type { GenericSchema } from 'valibot';
import { ERROR_STATUS, type ErrorCode } from '../errors.ts';
import type { Permission } from '../kernel/principal.ts';
import { specOf, type GuardSpec, type RouteDoc, type ValidatorSpec } from './spec.ts';
import { isApiPath } from '../kernel/paths.ts';
import { shareSchemas } from './share-schemas.ts';

type Json = Record<string, unknown>;

export const OPENAPI_PATH = '/api/openapi.json';

const REQUEST: ConversionConfig = { target: 'draft-2020-12', typeMode: 'input', errorMode: 'ignore' };
const RESPONSE: ConversionConfig = { target: 'draft-2020-12', typeMode: 'output', errorMode: 'ignore' };

function jsonSchema(schema: GenericSchema, config: ConversionConfig): Json {
  const { $schema: _drop, ...rest } = toJsonSchema(schema, config) as Json;
  return rest;
}

/** `/api/x/:id` → `/api/x/{id}`. */
function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

/** Whether a middleware pattern (`/api/x/*`, `*`, `/api/x`) covers a route path. */
function patternCovers(pattern: string, path: string): boolean {
  if (pattern === '*' || pattern === '/*') return true;
  const concrete = path.replace(/:[A-Za-z_][A-Za-z0-9_]*/g, 'x');
  if (pattern.endsWith('/*')) {
    const prefix = pattern.slice(0, -2);
    return concrete === prefix || concrete.startsWith(`${prefix}/`);
  }
  return pattern === concrete || pattern === path;
}

const SECURITY: Record<Permission, Json[]> = {
  user: [{ bearerAuth: [] }, { apiKeyAuth: [] }, { sessionCookie: [] }],
  admin: [{ bearerAuth: [] }, { apiKeyAuth: [] }, { sessionCookie: [] }],
  pool: [{ apiKeyAuth: [] }],
  password: [{ bearerAuth: [] }, { sessionCookie: [] }],
  enroll: [{ bearerAuth: [] }, { sessionCookie: [] }],
};

/** errors.ts's ErrorBody: `code`, `message`, `request_id` and nothing else beside them; every extra fact sits in `details`. */
const ERROR_BODY = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'request_id'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string', description: 'Safe to show; never contains a secret or an input value.' },
        request_id: { type: 'string', description: "The request's id, as in its X-Request-Id header and every log line of the request." },
        details: {
          type: 'object',
          description:
            'Extra facts of some codes, listed with each route (e.g. `fields`, `reason`, `retry_at`, `locked_since`, `max_bytes`). Absent when there are none.',
          properties: {
            field: { type: 'string', description: "VALIDATION_FAILED only: the first problem's field." },
            fields: {
              type: 'array',
              description: 'VALIDATION_FAILED only: every problem, one per field.',
              items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
            },
          },
          additionalProperties: true,
        },
      },
      additionalProperties: false,
    },
  },
} as const;

interface RouteFacts {
  method: string;
  path: string;
  doc?: RouteDoc;
  validators: ValidatorSpec[];
  permission?: Permission;
}

/** Every method-specific `/api` route of `app`, with what its middlewares say about it. */
export function apiRouteFacts(app: { routes: RouterRoute[] }): RouteFacts[] {
  const byKey = new Map<string, RouteFacts>();
  const guards: { pattern: string; spec: GuardSpec }[] = [];
  for (const r of app.routes) {
    const spec = specOf(r.handler);
    if (r.method === 'ALL') {
      if (spec?.kind === 'guard') guards.push({ pattern: r.path, spec });
      continue;
    }
    if (!isApiPath(r.path)) continue;
    const key = `${r.method} ${r.path}`;
    const facts = byKey.get(key) ?? { method: r.method, path: r.path, validators: [] };
    byKey.set(key, facts);
    if (spec?.kind === 'doc') facts.doc = spec;
    else if (spec?.kind === 'validator') facts.validators.push(spec);
    else if (spec?.kind === 'guard') facts.permission = spec.permission;
  }
  for (const facts of byKey.values()) {
    if (facts.permission) continue;
    // The strictest guard of the middlewares that cover this path.
    const covering = guards.filter((g) => patternCovers(g.pattern, facts.path)).map((g) => g.spec.permission);
    facts.permission = covering.find((p) => p === 'admin') ?? covering.find((p) => p === 'pool') ?? covering[0];
  }
  return [...byKey.values()];
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The error codes a route may answer, with their statuses. */
export function errorCodesOf(f: RouteFacts): Map<number, Set<ErrorCode>> {
  const codes: ErrorCode[] = ['INTERNAL'];
  if (f.permission) codes.push('UNAUTHENTICATED', 'FORBIDDEN');
  // A state-changing request by an admin that the credential pool could not confirm (pool/follow-writes.ts).
  if (f.permission && f.permission !== 'pool' && !/^(GET|HEAD|OPTIONS)$/i.test(f.method)) codes.push('POOL_SYNC_PENDING');
  // Every request that may carry a body passes the one body limit first
  // (http/body-limit.ts, mounted before every route but health's GETs), read or not.
  if (BODY_METHODS.has(f.method)) codes.push('PAYLOAD_TOO_LARGE');
  for (const val of f.validators) {
    if (val.target === 'json') codes.push('INVALID_JSON', 'VALIDATION_FAILED');
    if (val.target === 'query') codes.push('VALIDATION_FAILED');
    if (val.target === 'param') codes.push('NOT_FOUND');
  }
  codes.push(...(f.doc?.errors ?? []));
  const out = new Map<number, Set<ErrorCode>>();
  for (const code of codes) {
    const s = ERROR_STATUS[code];
    out.set(s, (out.get(s) ?? new Set()).add(code));
  }
  return out;
}

/** `INVALID_JSON` → `InvalidJson`; a status's codes joined: `BadRequestOrInvalidJson`. */
function errorResponseName(codes: string[]): string {
  return codes.map((c) => c.toLowerCase().replace(/(^|_)([a-z])/g, (_, _u: string, ch: string) => ch.toUpperCase())).join('Or');
}

/**
 * One error answer: the shared `Error` envelope with `code` narrowed to the
 * codes of its status. Kept once under `components.responses` and referenced
 * from every operation that answers it.
 */
function errorResponse(codes: string[]): Json {
  const narrowed = { type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string', enum: codes } } } } };
  return {
    description: codes.join(', '),
    'x-error-codes': codes,
    content: { 'application/json': { schema: { allOf: [{ $ref: '#/components/schemas/Error' }, narrowed] } } },
  };
}

/** A route served but left out of the document (spec.ts `includeInSchema: false`): the document and its page. */
export function inSchema(f: RouteFacts): boolean {
  return f.doc?.includeInSchema !== false;
}

/** A route that documents no answer of its own, only errors (the audit log's refused writes): it is refused, not an operation. */
function isRefusal(f: RouteFacts): boolean {
  return Object.keys(f.doc?.responses ?? {}).length === 0 && (f.doc?.errors?.length ?? 0) > 0;
}

/**
 * `errorResponses` collects the shared error answers; with `share` false (a
 * refused route) an answer no operation shares stays inline, so no component
 * is referenced only from an extension.
 */
function operation(f: RouteFacts, errorResponses: Map<string, Json>, share = true): Json {
  const op: Json = {
    operationId: `${f.method.toLowerCase()}${f.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, ch: string | undefined) => (ch ?? '').toUpperCase())}`,
    summary: f.doc?.summary ?? '',
    tags: [f.doc?.tag ?? 'other'],
    security: f.permission ? SECURITY[f.permission] : [],
    'x-permission': f.permission ?? 'none',
  };
  if (f.doc?.description) op.description = f.doc.description;
  const parameters: Json[] = [];
  for (const val of f.validators) {
    if (val.target !== 'query' && val.target !== 'param') continue;
    const s = jsonSchema(val.schema, REQUEST) as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(s.properties ?? {})) {
      parameters.push({
        name,
        in: val.target === 'param' ? 'path' : 'query',
        required: val.target === 'param' || (s.required ?? []).includes(name),
        schema,
      });
    }
  }
  if (parameters.length) op.parameters = parameters;
  const body = f.validators.find((x) => x.target === 'json');
  if (body) op.requestBody = { required: !body.optionalBody, content: { 'application/json': { schema: jsonSchema(body.schema, REQUEST) } } };
  const responses: Json = {};
  for (const [status, r] of Object.entries(f.doc?.responses ?? {})) {
    const content = r.schema
      ? { [r.contentType ?? 'application/json']: { schema: jsonSchema(r.schema, RESPONSE) } }
      : r.contentType
        ? { [r.contentType]: { schema: { type: 'string' } } }
        : undefined;
    responses[status] = content ? { description: r.description, content } : { description: r.description };
  }
  for (const [status, codes] of [...errorCodesOf(f)].sort((a, b) => a[0] - b[0])) {
    const list = [...codes].sort();
    const name = errorResponseName(list);
    if (!errorResponses.has(name)) {
      if (!share) {
        responses[String(status)] = errorResponse(list);
        continue;
      }
      errorResponses.set(name, errorResponse(list));
    }
    responses[String(status)] = { $ref: `#/components/responses/${name}` };
  }
  op.responses = responses;
  return op;
}

/**
 * The whole document. Routes that only refuse (see isRefusal) are not
 * operations a client can call, so they are listed apart, under
 * `x-refused-routes` (same shape as `paths`, router paths as they are).
 */
export function openApiDocument(app: { routes: RouterRoute[] }): Json {
  const paths: Record<string, Json> = {};
  const refused: Record<string, Json> = {};
  const errorResponses = new Map<string, Json>();
  const facts = apiRouteFacts(app)
    .filter(inSchema)
    .sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  for (const f of facts.filter((x) => !isRefusal(x))) {
    const p = openApiPath(f.path);
    paths[p] = { ...(paths[p] ?? {}), [f.method.toLowerCase()]: operation(f, errorResponses) };
  }
  for (const f of facts.filter(isRefusal))
    refused[openApiPath(f.path)] = { ...(refused[openApiPath(f.path)] ?? {}), [f.method.toLowerCase()]: operation(f, errorResponses, false) };
  // Repeated route schemas are stored once in components.schemas (share-schemas.ts).
  const shared = shareSchemas({ paths, refused, responses: Object.fromEntries([...errorResponses].sort((a, b) => a[0].localeCompare(b[0]))) });
  return {
    openapi: '3.1.0',
    info: {
      title: 'arena-vault',
      version: '1',
      description:
        'The credential vault of the research data-collection platform. Errors share one shape, `{"error":{"code","message","request_id","details"?}}` (the `Error` schema); a code\'s extra facts sit in `details`; `x-error-codes` lists each status\'s codes. Prose: docs/api.md.',
      // package.json is private and grants no licence: npm's word for that is
      // UNLICENSED, and SPDX has no identifier for it, hence a LicenseRef.
      license: { name: 'UNLICENSED', identifier: 'LicenseRef-UNLICENSED' },
    },
    // Relative: the API is served by whichever vault served this document.
    servers: [{ url: '/', description: 'The vault that serves this document.' }],
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from POST /api/auth/login.' },
        apiKeyAuth: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'A machine key: `Authorization: ApiKey av_<prefix>_<secret>`.' },
        sessionCookie: { type: 'apiKey', in: 'cookie', name: '__Host-av_session', description: 'The browser session (pages; same-origin API calls).' },
      },
      schemas: { Error: ERROR_BODY, ...shared.schemas },
      responses: shared.parts.responses,
    },
    'x-error-codes': Object.fromEntries(Object.entries(ERROR_STATUS)),
    'x-refused-routes': shared.parts.refused,
    paths: shared.parts.paths,
  };
}
