/**
 * The API contract: GET /api/openapi.json is generated from the router, so
 * - every `/api` route the router holds is in the document, with a summary
 *   and a response for its success (a route added without `describe` fails);
 * - every live answer of every route, taken from real calls (samples.ts),
 *   matches the schema the document gives for its status; a documented
 *   route without a sample fails too;
 * - exactly two routes are served but left out of the document, as FastAPI
 *   leaves out its own /openapi.json and /docs: the document and its page.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { SELF } from 'cloudflare:test';
import { app } from '../../src/index.ts';
import { ERROR_STATUS } from '../../src/errors.ts';
import { apiRouteFacts, inSchema } from '../../src/schema/openapi.ts';
import { SAMPLES, type Recorded } from './samples.ts';
import { contractProblems, docKey, docOperation, fetchOpenApi, NOT_IN_SCHEMA, type OpenApiDoc } from './contract.ts';

let doc: OpenApiDoc;

beforeAll(async () => {
  doc = await fetchOpenApi();
});

/** Every `/api` route of the router that the document describes (all but NOT_IN_SCHEMA). */
function routerApiRoutes(): string[] {
  const out = new Set<string>();
  for (const r of app.routes) if (r.method !== 'ALL' && (r.path === '/api' || r.path.startsWith('/api/'))) out.add(`${r.method} ${r.path}`);
  return [...out].filter((r) => !NOT_IN_SCHEMA.includes(r)).sort();
}

describe('GET /api/openapi.json', () => {
  it('is OpenAPI 3.1, public, and names both security schemes', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKeyAuth', 'bearerAuth', 'sessionCookie']);
  });

  it('describes every /api route of the router: a summary and a success response', () => {
    const missing: string[] = [];
    for (const route of routerApiRoutes()) {
      const [p, m] = docKey(route);
      const op = docOperation(doc, p, m);
      // A method a path refuses outright (the append-only audit log) documents its 405 as its outcome.
      if (!op?.summary || !Object.keys(op.responses).some((s) => Number(s) < 400 || s === '405')) missing.push(route);
    }
    expect(missing, 'routes missing from the document (add describe() to them)').toEqual([]);
  });

  it('leaves out exactly the document and its page, which are served (as FastAPI)', async () => {
    const hidden = apiRouteFacts(app)
      .filter((f) => !inSchema(f))
      .map((f) => `${f.method} ${f.path}`)
      .sort();
    expect(hidden).toEqual(NOT_IN_SCHEMA);
    for (const route of NOT_IN_SCHEMA) {
      const [p, m] = docKey(route);
      expect(docOperation(doc, p, m), route).toBeUndefined();
      const res = await SELF.fetch(`https://vault.test${p}`);
      expect(res.status, route).toBe(200);
      await res.body?.cancel();
    }
    expect(doc.paths['/api/openapi.json']).toBeUndefined();
    expect(doc.paths['/api/docs']).toBeUndefined();
  });

  it('lists a route that only refuses under x-refused-routes, not as an operation of `paths`', () => {
    expect(Object.keys(doc['x-refused-routes']).sort()).toEqual(['/api/audit', '/api/audit/*']);
    for (const ops of Object.values(doc['x-refused-routes'])) {
      expect(Object.keys(ops).sort()).toEqual(['delete', 'patch', 'post', 'put']);
      for (const op of Object.values(ops)) expect(op.responses['405']?.['x-error-codes']).toEqual(['METHOD_NOT_ALLOWED']);
    }
    expect(Object.keys(doc.paths['/api/audit']!)).toEqual(['get']);
    expect(doc.paths['/api/audit/*']).toBeUndefined();
  });

  it('lists each error status with its codes, and the status is the one errors.ts maps the code to', () => {
    for (const [p, ops] of [...Object.entries(doc.paths), ...Object.entries(doc['x-refused-routes'])]) {
      for (const [m, op] of Object.entries(ops)) {
        for (const [status, r] of Object.entries(op.responses)) {
          for (const code of r['x-error-codes'] ?? []) {
            const mapped = ERROR_STATUS[code as keyof typeof ERROR_STATUS];
            expect(mapped, `${m} ${p}: ${code}`).toBeDefined();
            expect(String(mapped), `${m} ${p}: ${code} under ${status}`).toBe(status);
          }
        }
        // Guarded routes say who may call them.
        if (op.security.length) expect(op.responses['401'], `${m} ${p}`).toBeDefined();
      }
    }
  });
});

describe('live answers match the document', () => {
  const recorded: Recorded[] = [];
  beforeAll(async () => {
    for (const sample of SAMPLES) recorded.push(...(await sample()));
  }, 120_000);

  it('every documented route was called by a sample', () => {
    const called = new Set(recorded.map((r) => r.route));
    expect(
      routerApiRoutes().filter((r) => !called.has(r)),
      'routes no sample calls (add one to samples.ts)',
    ).toEqual([]);
  });

  it("every answer has its status documented and its body matches that status's schema", () => {
    expect(contractProblems(doc, recorded)).toEqual([]);
  });
});
