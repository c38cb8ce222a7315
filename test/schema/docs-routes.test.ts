/**
 * The prose docs keep their route tables, and those tables are checked
 * against the generated document: every route a table lists exists in
 * /api/openapi.json, and every route of the document is listed in one table.
 * The two routes served but left out of the document (NOT_IN_SCHEMA: the
 * document and its page, as FastAPI) are listed too, each in a row that says
 * so; no other row may say it.
 */
import { SELF } from 'cloudflare:test';
import { expect, it } from 'vitest';
import alerts from '../../docs/api/alerts.md?raw';
import auth from '../../docs/api/auth.md?raw';
import credentials from '../../docs/api/credentials.md?raw';
import health from '../../docs/api/health.md?raw';
import pool from '../../docs/api/pool.md?raw';
import queryDesigns from '../../docs/api/query-designs.md?raw';
import rotation from '../../docs/api/rotation.md?raw';
import recovery from '../../docs/recovery.md?raw';
import overview from '../../docs/api.md?raw';
import { NOT_IN_SCHEMA } from './contract.ts';

const DOCS: Record<string, string> = {
  'docs/api.md': overview,
  'docs/api/alerts.md': alerts,
  'docs/api/auth.md': auth,
  'docs/api/credentials.md': credentials,
  'docs/api/health.md': health,
  'docs/api/pool.md': pool,
  'docs/api/query-designs.md': queryDesigns,
  'docs/api/rotation.md': rotation,
  'docs/recovery.md': recovery,
};

/** What a row of a route served but not in the document says about it. */
const NOT_IN_DOCUMENT_MARK = 'not in the OpenAPI document (as FastAPI)';

const METHOD = '(GET|POST|PUT|PATCH|DELETE)';
/** Table rows `| \`GET /api/x\` |` and `| GET | \`/api/x?q=\` |`; the query string is not part of the route. */
function tableRows(markdown: string): { route: string; marked: boolean }[] {
  const out: { route: string; marked: boolean }[] = [];
  for (const line of markdown.split('\n')) {
    const a = new RegExp(`^\\|\\s*\`${METHOD} (/api[^\`?\\s]*)[^\`]*\`\\s*\\|`).exec(line);
    const b = new RegExp(`^\\|\\s*${METHOD}\\s*\\|\\s*\`(/api[^\`?\\s]*)[^\`]*\`\\s*\\|`).exec(line);
    const m = a ?? b;
    if (m) out.push({ route: `${m[1]} ${m[2]!.replace(/:([A-Za-z_]\w*)/g, '{$1}')}`, marked: line.includes(NOT_IN_DOCUMENT_MARK) });
  }
  return out;
}

it('each doc route table lists only routes of the document, and together they list all of them', async () => {
  const doc = (await (await SELF.fetch('https://vault.test/api/openapi.json')).json()) as Record<
    'paths' | 'x-refused-routes',
    Record<string, Record<string, unknown>>
  >;
  // The routes that only refuse (the audit log's 405s) are listed apart in the document, and in the tables too.
  const routes = [...Object.entries(doc.paths), ...Object.entries(doc['x-refused-routes'])];
  const documented = new Set(routes.flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)));
  const listed = new Set<string>();
  const unknown: string[] = [];
  const misMarked: string[] = [];
  for (const [file, text] of Object.entries(DOCS)) {
    for (const { route, marked } of tableRows(text)) {
      listed.add(route);
      const hidden = NOT_IN_SCHEMA.includes(route);
      if (!hidden && !documented.has(route)) unknown.push(`${file}: ${route}`);
      if (hidden && documented.has(route)) unknown.push(`${file}: ${route} is in the document after all`);
      if (marked !== hidden) misMarked.push(`${file}: ${route}`);
    }
  }
  expect(unknown, 'rows for routes the API does not have').toEqual([]);
  expect(misMarked, `rows that say "${NOT_IN_DOCUMENT_MARK}" exactly when their route is left out of it`).toEqual([]);
  expect([...documented, ...NOT_IN_SCHEMA].filter((r) => !listed.has(r)).sort(), 'routes no doc table lists').toEqual([]);
});

it('the overview and every route document link to the machine-readable contract', () => {
  for (const [file, text] of Object.entries(DOCS)) expect(text, file).toContain('/api/openapi.json');
});
