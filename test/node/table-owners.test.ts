// One owner per table (src/db/owners.ts): SQL for a D1 table, raw or through
// drizzle, appears only in the module that owns it. Every source file of the
// product is read: src/ (the Worker), scripts/ (operator scripts, which run the
// owners' builders as SQL text), selfhost/, node/ and deno/ (the self-hosted
// editions) and bench/ (which
// seeds through the owners' builders). Tests under test/ are exempt: they seed
// and inspect D1 directly, on purpose, to check the owners from outside. The
// drizzle table objects come from src/db/schema.ts itself.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { getTableName, is } from 'drizzle-orm';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as schema from '../../src/db/schema.ts';
import { TABLE_OWNERS, type TableName } from '../../src/db/owners.ts';
import { ROOT } from './scripts/run-script.ts';

/** The schema and the map name every table by definition; the client hands drizzle the whole schema (no query). */
const EXEMPT = new Set(['src/db/schema.ts', 'src/db/owners.ts', 'src/db/client.ts']);

/** Table name → the drizzle export that declares it. */
const DRIZZLE: Partial<Record<TableName, string>> = Object.fromEntries(
  Object.entries(schema)
    .filter(([, v]) => is(v, SQLiteTable))
    .map(([name, t]) => [getTableName(t as SQLiteTable), name]),
);

/** The folders whose code may hold SQL only through the owners (test/ is not one: see the header). */
const SCANNED = ['src', 'scripts', 'selfhost', 'node', 'deno', 'bench'];

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return sourceFiles(rel);
    return /\.(tsx?|m?js|py)$/.test(e.name) ? [rel] : [];
  });
}

/** What in `text` touches `table`: raw SQL (a keyword before the name) or a drizzle reference to its table object. */
function sqlUses(text: string, table: TableName): string[] {
  const hits: string[] = [];
  const raw = new RegExp(`\\b(FROM|INTO|UPDATE|JOIN|TABLE)\\s+${table}\\b`, 'g');
  for (const m of text.matchAll(raw)) hits.push(m[0]);
  const name = DRIZZLE[table];
  if (name) {
    // A value import of the table object from the schema (type-only imports are fine) …
    for (const m of text.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s+from\s+'[^']*(db\/|\.\/)schema(\.ts)?'/g)) {
      if (m[1]) continue;
      const names = m[2]!
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s && !s.startsWith('type '));
      if (names.some((n) => n.split(/\s+as\s+/)[0] === name)) hits.push(`import { ${name} } from db/schema`);
    }
    if (/import\s+\*\s+as\s+\w+\s+from\s+'[^']*(db\/|\.\/)schema(\.ts)?'/.test(text)) hits.push('import * from db/schema');
    // … or drizzle's relational query API on it.
    if (new RegExp(`\\.query\\.${name}\\b`).test(text)) hits.push(`.query.${name}`);
  }
  return hits;
}

const owns = (owner: string, file: string) => (owner.endsWith('/') ? file.startsWith(owner) : file === owner);

describe('one owner per table', () => {
  const files = SCANNED.flatMap(sourceFiles).filter((f) => !EXEMPT.has(f));

  it('reads every scanned folder', () => {
    for (const dir of SCANNED) expect(files.some((f) => f.startsWith(`${dir}/`))).toBe(true);
  });

  it('the map covers every table the schema declares', () => {
    for (const table of Object.keys(DRIZZLE)) expect(Object.keys(TABLE_OWNERS)).toContain(table);
  });

  it('the detector sees raw SQL and drizzle references, and not type-only imports', () => {
    expect(sqlUses("db.prepare('SELECT id FROM api_credentials WHERE id = ?')", 'api_credentials')).toHaveLength(1);
    expect(sqlUses("import { apiCredentials, type CredentialRow } from '../db/schema.ts';", 'api_credentials')).toHaveLength(1);
    expect(sqlUses('c.var.db.query.users.findFirst({})', 'users')).toHaveLength(1);
    expect(sqlUses("import type { User } from '../db/schema.ts';", 'users')).toEqual([]);
    expect(sqlUses("db.prepare('DELETE FROM audit_events')", 'audit_events')).toHaveLength(1);
  });

  for (const [table, owner] of Object.entries(TABLE_OWNERS) as [TableName, string][]) {
    it(`${table}: SQL only in ${owner}`, () => {
      const outside = files
        .filter((f) => !owns(owner, f))
        .flatMap((f) => sqlUses(readFileSync(path.join(ROOT, f), 'utf8'), table).map((hit) => `${f}: ${hit}`));
      expect(outside).toEqual([]);
      // The owner exists and really is where the table's SQL is.
      const inside = files.filter((f) => owns(owner, f)).flatMap((f) => sqlUses(readFileSync(path.join(ROOT, f), 'utf8'), table));
      expect(inside.length).toBeGreaterThan(0);
    });
  }

  it("docs/data-model.md states each table's owner as src/db/owners.ts does", () => {
    const doc = readFileSync(path.join(ROOT, 'docs/data-model.md'), 'utf8');
    const stated = Object.fromEntries([...doc.matchAll(/^\| `(\w+)` \| `([^`]+)` \|/gm)].map((m) => [m[1], m[2]]));
    expect(stated).toEqual(TABLE_OWNERS);
  });
});
