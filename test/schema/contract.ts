/**
 * Checking recorded answers against GET /api/openapi.json: shared by the
 * contract test (test/schema/openapi.test.ts) and the suites whose answers
 * need another vitest project's world (test/rotation/contract.test.ts).
 */
import { SELF } from 'cloudflare:test';
import { Validator } from '@cfworker/json-schema';
import type { Recorded } from './samples/record.ts';

export type Op = {
  summary: string;
  responses: Record<string, { content?: Record<string, { schema: unknown }>; 'x-error-codes'?: string[] }>;
  security: unknown[];
};
export type OpenApiDoc = {
  openapi: string;
  paths: Record<string, Record<string, Op>>;
  components: { securitySchemes: Record<string, unknown> };
  'x-refused-routes': Record<string, Record<string, Op>>;
};

/**
 * The routes served but left out of the document (`includeInSchema: false`),
 * as FastAPI leaves out its own /openapi.json and /docs: the document and its
 * page, these two and no other (openapi.test.ts, docs-routes.test.ts).
 */
export const NOT_IN_SCHEMA = ['GET /api/docs', 'GET /api/openapi.json'];

/** Replaces every local `$ref` (`#/components/...`) by what it points at, so a check reads each answer as a client would. */
export function inlineRefs<T>(doc: T): T {
  const at = (ref: string): unknown =>
    ref
      .slice(2)
      .split('/')
      .reduce<any>((node, key) => node?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
  const walk = (x: unknown, seen: string[]): unknown => {
    if (Array.isArray(x)) return x.map((v) => walk(v, seen));
    if (!x || typeof x !== 'object') return x;
    const ref = (x as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && ref.startsWith('#/')) {
      if (seen.includes(ref)) throw new Error(`recursive $ref ${ref}`);
      const target = at(ref);
      if (target === undefined) throw new Error(`dangling $ref ${ref}`);
      return walk(target, [...seen, ref]);
    }
    return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, walk(v, seen)]));
  };
  return walk(doc, []) as T;
}

/** The document as these checks read it: references inlined. */
export async function fetchOpenApi(): Promise<OpenApiDoc> {
  const res = await SELF.fetch('https://vault.test/api/openapi.json');
  if (res.status !== 200) throw new Error(`GET /api/openapi.json answered ${res.status}`);
  return inlineRefs((await res.json()) as OpenApiDoc);
}

/** The operation the document gives for a path and method: in `paths`, or among the refused routes (the audit log's 405s). */
export function docOperation(doc: OpenApiDoc, path: string, method: string): Op | undefined {
  return doc.paths[path]?.[method] ?? doc['x-refused-routes'][path]?.[method];
}

/** `POST /api/x/:id` → the document's path and method keys. */
export const docKey = (route: string) => {
  const [method, path] = route.split(' ') as [string, string];
  return [path.replace(/:([A-Za-z_]\w*)/g, '{$1}'), method.toLowerCase()] as const;
};

/** Every way the recorded answers break the document: undocumented status, body off its schema, error code not listed. */
export function contractProblems(doc: OpenApiDoc, recorded: readonly Recorded[]): string[] {
  const problems: string[] = [];
  for (const r of recorded) {
    const [p, m] = docKey(r.route);
    const response = docOperation(doc, p, m)?.responses[String(r.status)];
    if (!response) {
      problems.push(`${r.route}: status ${r.status} is not documented`);
      continue;
    }
    const schema = response.content?.['application/json']?.schema;
    if (!schema) continue;
    const result = new Validator(schema as object, '2020-12', false).validate(r.body);
    if (!result.valid) problems.push(`${r.route} ${r.status}: ${JSON.stringify(result.errors.slice(0, 3))}`);
    const codes = response['x-error-codes'];
    if (codes) {
      const code = (r.body as { error?: { code?: string } }).error?.code;
      if (!code || !codes.includes(code)) problems.push(`${r.route} ${r.status}: code ${code} is not listed (${codes.join(', ')})`);
    }
  }
  return problems;
}
