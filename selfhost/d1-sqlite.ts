/**
 * A D1Database over a local SQLite file (`node:sqlite` DatabaseSync), so the
 * vault's code — drizzle-orm/d1 and raw `env.DB.prepare().bind().first()` —
 * runs unchanged on the self-hosted editions (Node and Deno). This is the one adapter
 * between the app's storage calls and the local SQLite file.
 *
 * D1 behaviour kept on purpose:
 *  - `batch([...])` is one transaction (BEGIN … COMMIT, ROLLBACK on any error);
 *  - `bind(undefined)` is a type error; booleans bind as 1/0;
 *  - `first(col)` on a missing column throws; an empty result is `null`;
 *  - `raw()` returns arrays, so joins with repeated column names (`id`) keep
 *    every column — drizzle reads selects through `raw()`;
 *  - errors read `D1_ERROR: <sqlite message>: <sqlite code>`, never a value.
 * Everything runs synchronously underneath, so no other request can run
 * between the statements of a batch.
 *
 * @example
 *   const DB = new SqliteD1Database(new DatabaseSync('vault.sqlite'));
 *   await DB.prepare('SELECT 1 AS x').first('x'); // 1
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';

type Row = Record<string, unknown>;
type SqlValue = null | number | bigint | string | Uint8Array;

interface Meta {
  duration: number;
  size_after: number;
  rows_read: number;
  rows_written: number;
  last_row_id: number;
  changed_db: boolean;
  changes: number;
}

export interface D1LikeResult<T = Row> {
  success: true;
  results: T[];
  meta: Meta;
}

function d1Error(e: unknown): Error {
  if (e instanceof Error && e.message.startsWith('D1_')) return e;
  const err = e as { message?: string; errstr?: string };
  const message = err?.message ?? String(e);
  const code = err?.errstr ? `: SQLITE_${err.errstr.toUpperCase().replace(/\s+/g, '_')}` : '';
  return new Error(`D1_ERROR: ${message}${code}`, { cause: e });
}

/** Converts one bound value the way D1 does, or throws D1_TYPE_ERROR. */
export function toSqlValue(value: unknown, index: number): SqlValue {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new Error(`D1_TYPE_ERROR: Type '${value === undefined ? 'undefined' : typeof value}' not supported for parameter ${index + 1}`);
}

/** Result values as D1 returns them: plain objects, BLOBs as arrays of bytes. */
function fromSqlValue(value: unknown): unknown {
  return value instanceof Uint8Array ? Array.from(value) : value;
}

function plainRow(row: Row): Row {
  const out: Row = {};
  for (const k of Object.keys(row)) out[k] = fromSqlValue(row[k]);
  return out;
}

export class SqliteD1PreparedStatement {
  readonly #db: SqliteD1Database;
  readonly #sql: string;
  readonly #params: SqlValue[];

  constructor(db: SqliteD1Database, sql: string, params: SqlValue[] = []) {
    this.#db = db;
    this.#sql = sql;
    this.#params = params;
  }

  bind(...values: unknown[]): SqliteD1PreparedStatement {
    return new SqliteD1PreparedStatement(this.#db, this.#sql, values.map(toSqlValue));
  }

  /** @internal Runs now, synchronously; used by batch() inside its transaction. */
  execute(): D1LikeResult {
    return this.#db.runStatement(this.#sql, this.#params);
  }

  async first<T = Row>(column?: string): Promise<T | null> {
    const { results } = this.execute();
    const row = results[0];
    if (row === undefined) return null;
    if (column === undefined) return row as T;
    if (!(column in row)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`);
    return row[column] as T;
  }

  async all<T = Row>(): Promise<D1LikeResult<T>> {
    return this.execute() as D1LikeResult<T>;
  }

  async run<T = Row>(): Promise<D1LikeResult<T>> {
    return this.execute() as D1LikeResult<T>;
  }

  async raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[]> {
    const { columns, rows } = this.#db.runRaw(this.#sql, this.#params);
    return (options?.columnNames ? [columns, ...rows] : rows) as T[];
  }
}

export class SqliteD1Database {
  readonly sqlite: DatabaseSync;
  readonly #cache = new Map<string, StatementSync>();

  constructor(sqlite: DatabaseSync) {
    this.sqlite = sqlite;
  }

  prepare(sql: string): SqliteD1PreparedStatement {
    return new SqliteD1PreparedStatement(this, sql);
  }

  /** All statements in one transaction: all or nothing, like D1. */
  async batch<T = Row>(statements: SqliteD1PreparedStatement[]): Promise<D1LikeResult<T>[]> {
    if (!Array.isArray(statements) || statements.some((s) => !(s instanceof SqliteD1PreparedStatement))) {
      throw new Error('D1_ERROR: batch() takes an array of prepared statements');
    }
    if (this.sqlite.isTransaction) throw new Error('D1_ERROR: batch() inside an open transaction');
    this.sqlite.exec('BEGIN IMMEDIATE');
    try {
      const results = statements.map((s) => s.execute());
      this.sqlite.exec('COMMIT');
      return results as D1LikeResult<T>[];
    } catch (e) {
      if (this.sqlite.isTransaction) this.sqlite.exec('ROLLBACK');
      throw d1Error(e);
    }
  }

  /** Runs one or more SQL statements without bindings (D1's exec). */
  async exec(sql: string): Promise<{ count: number; duration: number }> {
    const started = performance.now();
    const count = sql.split('\n').filter((l) => l.trim().length > 0).length;
    try {
      this.sqlite.exec(sql);
    } catch (e) {
      throw d1Error(e);
    }
    return { count, duration: performance.now() - started };
  }

  /** D1 read replication sessions: one local file has no replicas, so a session is the database. */
  withSession(): { prepare: (sql: string) => SqliteD1PreparedStatement; batch: SqliteD1Database['batch']; getBookmark: () => null } {
    return { prepare: (sql) => this.prepare(sql), batch: (s) => this.batch(s), getBookmark: () => null };
  }

  async dump(): Promise<ArrayBuffer> {
    throw new Error('D1_ERROR: dump() is not supported; copy the SQLite file while the server is stopped');
  }

  #statement(sql: string): StatementSync {
    let stmt = this.#cache.get(sql);
    if (!stmt) {
      stmt = this.sqlite.prepare(sql);
      if (this.#cache.size > 500) this.#cache.clear();
      this.#cache.set(sql, stmt);
    }
    return stmt;
  }

  #totalChanges(): number {
    return (this.#statement('SELECT total_changes() AS n').get() as { n: number }).n;
  }

  /** @internal */
  runStatement(sql: string, params: SqlValue[]): D1LikeResult {
    const started = performance.now();
    try {
      const stmt = this.#statement(sql);
      stmt.setReturnArrays(false);
      const before = this.#totalChanges();
      let results: Row[] = [];
      let lastRowId = 0;
      if (stmt.columns().length > 0) {
        results = (stmt.all(...params) as Row[]).map(plainRow);
        lastRowId = Number((this.#statement('SELECT last_insert_rowid() AS id').get() as { id: number }).id);
      } else {
        lastRowId = Number(stmt.run(...params).lastInsertRowid);
      }
      const changes = this.#totalChanges() - before;
      return {
        success: true,
        results,
        meta: {
          duration: performance.now() - started,
          size_after: 0,
          rows_read: results.length,
          rows_written: changes,
          last_row_id: lastRowId,
          changed_db: changes > 0,
          changes,
        },
      };
    } catch (e) {
      throw d1Error(e);
    }
  }

  /** @internal Rows as arrays, in column order (duplicate names kept). */
  runRaw(sql: string, params: SqlValue[]): { columns: string[]; rows: unknown[][] } {
    try {
      const stmt = this.#statement(sql);
      const columns = stmt.columns().map((c) => c.name);
      if (columns.length === 0) {
        stmt.run(...params);
        return { columns, rows: [] };
      }
      stmt.setReturnArrays(true);
      try {
        const rows = (stmt.all(...params) as unknown as unknown[][]).map((r) => r.map(fromSqlValue));
        return { columns, rows };
      } finally {
        stmt.setReturnArrays(false);
      }
    } catch (e) {
      throw d1Error(e);
    }
  }
}
