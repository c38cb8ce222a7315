/**
 * Turns a drizzle query (built, never executed) into the forms the code
 * paths without a drizzle session need: a D1 prepared statement (Durable
 * Objects and raw `DB.batch` lists that hold a D1 binding) or one literal SQL
 * statement (the operator scripts, which run SQL files through
 * `wrangler d1 execute`). The query is written once, in its owner module;
 * these only change how it is carried.
 */
import { openDb, type Db } from './client.ts';

export interface BuiltQuery {
  toSQL(): { sql: string; params: unknown[] };
}

/**
 * Raw SQL and its parameters in the shape of a built drizzle query, so the
 * carriers here take it too. For an owner module's SQL that drizzle's
 * builder does not compose; the reason goes next to its use.
 */
export function rawQuery(sql: string, params: unknown[] = []): BuiltQuery {
  return { toSQL: () => ({ sql, params }) };
}

/** The query as a D1 prepared statement, for `d1.batch([...])` or `.run()`. */
export function d1Statement(d1: D1Database, query: BuiltQuery): D1PreparedStatement {
  const { sql, params } = query.toSQL();
  return d1.prepare(sql).bind(...params);
}

const unusable = new Proxy(
  {},
  {
    get: () => () => {
      throw new Error('this drizzle client only builds SQL text; it has no database');
    },
  },
) as D1Database;

/** A drizzle client that builds queries for `sqlText` and cannot execute them. */
export const textOnlyDb: Db = openDb(unusable);

/** An SQL literal for a string, number, boolean or null (for generated SQL files). */
function sqlLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'boolean') return v ? '1' : '0';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error('non-finite number in SQL');
    return String(v);
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v !== 'string') throw new Error(`cannot write a ${typeof v} as an SQL literal`);
  return `'${v.replace(/'/g, "''")}'`;
}

/**
 * The query as one SQL statement with its parameters written as literals
 * (`sqlLiteral`), ending in `;`. Placeholders inside quoted strings or
 * identifiers are left alone.
 */
export function sqlText(query: BuiltQuery): string {
  const { sql, params } = query.toSQL();
  let out = '';
  let next = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"' || ch === '`') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      if (next >= params.length) throw new Error('more placeholders than parameters');
      out += sqlLiteral(params[next++]);
    } else out += ch;
  }
  if (next !== params.length) throw new Error('more parameters than placeholders');
  return `${out};`;
}
