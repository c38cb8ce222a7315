/**
 * DurableObjectStorage for the self-hosted editions (Node and Deno): one SQLite file per object, the
 * layout workerd itself uses for SQLite-backed Durable Objects. It offers
 * `sql.exec()` (the pool's and rotation's own tables), the key-value API
 * (`get/put/delete/list`, values structured-cloned through `node:v8`, kept
 * in `_cf_KV`) and a persisted alarm (in `_cf_METADATA`).
 *
 * Write atomicity follows workerd: everything done between two `await`s is
 * one implicit transaction, committed in a microtask, so a crash never leaves
 * half of a synchronous read-check-write behind. `transaction()` and
 * `transactionSync()` make a closure all-or-nothing.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { deserialize, serialize } from 'node:v8';
import { splitSqlStatements } from './sql-statements.ts';
import { toSqlValue } from './d1-sqlite.ts';
import { SqlCursor, type SqlRow, type SqlStorageValue } from './sql-cursor.ts';

const INTERNAL_SCHEMA = `
CREATE TABLE IF NOT EXISTS _cf_KV (key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS _cf_METADATA (key TEXT PRIMARY KEY, value) WITHOUT ROWID;
`;

function fromSql(v: unknown): SqlStorageValue {
  if (v instanceof Uint8Array) return v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer;
  if (typeof v === 'bigint') return Number(v);
  return v as SqlStorageValue;
}

export interface ListOptions {
  start?: string;
  startAfter?: string;
  end?: string;
  prefix?: string;
  reverse?: boolean;
  limit?: number;
}

export class ObjectStorage {
  readonly sqlite: DatabaseSync;
  /** Called whenever the persisted alarm changes (the namespace schedules timers). */
  onAlarmChange: (at: number | null) => void = () => {};
  #explicit = 0;
  readonly #statements = new Map<string, StatementSync>();
  #commitScheduled = false;
  readonly sql: { exec: <T extends SqlRow = SqlRow>(query: string, ...bindings: unknown[]) => SqlCursor<T>; readonly databaseSize: number };
  readonly kv = {
    get: <T>(key: string): T | undefined => this.#kvGet<T>(key),
    put: (key: string, value: unknown): void => this.#kvPut(key, value),
    delete: (key: string): boolean => this.#kvDelete(key),
    list: <T>(opts?: ListOptions): Iterable<[string, T]> => this.#kvList<T>(opts ?? {}).entries(),
  };

  constructor(path: string) {
    this.sqlite = new DatabaseSync(path);
    this.sqlite.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;');
    this.sqlite.exec(INTERNAL_SCHEMA);
    const self = this;
    this.sql = {
      exec: (query, ...bindings) => self.#exec(query, bindings),
      get databaseSize() {
        const p = self.sqlite.prepare('SELECT page_count * page_size AS n FROM pragma_page_count(), pragma_page_size()').get() as { n: number };
        return p.n;
      },
    };
  }

  // --- implicit transactions ---------------------------------------------------

  /** Opens the implicit transaction of this turn; it commits in a microtask. */
  #touch(): void {
    if (this.#explicit > 0 || this.sqlite.isTransaction) return;
    this.sqlite.exec('BEGIN');
    if (!this.#commitScheduled) {
      this.#commitScheduled = true;
      queueMicrotask(() => this.#commitImplicit());
    }
  }

  #commitImplicit(): void {
    this.#commitScheduled = false;
    if (this.#explicit === 0 && this.sqlite.isTransaction) this.sqlite.exec('COMMIT');
  }

  /** Commits pending writes now (the namespace calls it before answering a call). */
  async sync(): Promise<void> {
    this.#commitImplicit();
  }

  transactionSync<T>(closure: () => T): T {
    this.#commitImplicit();
    this.#explicit++;
    this.sqlite.exec('SAVEPOINT txn');
    try {
      const out = closure();
      this.sqlite.exec('RELEASE txn');
      return out;
    } catch (e) {
      this.sqlite.exec('ROLLBACK TO txn');
      this.sqlite.exec('RELEASE txn');
      throw e;
    } finally {
      this.#explicit--;
    }
  }

  /** All-or-nothing across awaits (the object's calls are serialised, so no one else writes meanwhile). */
  async transaction<T>(closure: (txn: ObjectStorage) => Promise<T>): Promise<T> {
    this.#commitImplicit();
    this.#explicit++;
    this.sqlite.exec('BEGIN');
    try {
      const out = await closure(this);
      this.sqlite.exec('COMMIT');
      return out;
    } catch (e) {
      if (this.sqlite.isTransaction) this.sqlite.exec('ROLLBACK');
      throw e;
    } finally {
      this.#explicit--;
    }
  }

  // --- SQL API ------------------------------------------------------------------

  #exec<T extends SqlRow>(query: string, bindings: unknown[]): SqlCursor<T> {
    const statements = splitSqlStatements(query);
    if (statements.length === 0) throw new Error('SQL query contains no statements');
    for (const s of statements) {
      if (/^\s*(BEGIN|COMMIT|END|ROLLBACK|SAVEPOINT|RELEASE)\b/i.test(s)) {
        throw new Error(
          'To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements.',
        );
      }
      if (/\b_cf_/i.test(s)) throw new Error('access to _cf_ tables is not allowed');
    }
    this.#touch();
    const before = this.#changes();
    let columns: string[] = [];
    let rows: SqlStorageValue[][] = [];
    statements.forEach((text, i) => {
      const last = i === statements.length - 1;
      const stmt = this.#prepare(text);
      const params = last ? bindings.map(toSqlValue) : [];
      columns = stmt.columns().map((c) => c.name);
      if (columns.length === 0) {
        stmt.run(...params);
        rows = [];
      } else {
        stmt.setReturnArrays(true);
        rows = (stmt.all(...params) as unknown as unknown[][]).map((r) => r.map(fromSql));
      }
    });
    return new SqlCursor<T>(columns, rows, this.#changes() - before);
  }

  #prepare(text: string): StatementSync {
    let stmt = this.#statements.get(text);
    if (!stmt) {
      if (this.#statements.size > 200) this.#statements.clear();
      stmt = this.sqlite.prepare(text);
      this.#statements.set(text, stmt);
    }
    return stmt;
  }

  #changes(): number {
    return (this.#prepare('SELECT total_changes() AS n').get() as { n: number }).n;
  }

  // --- key-value API ------------------------------------------------------------

  #kvGet<T>(key: string): T | undefined {
    this.#touch();
    const row = this.sqlite.prepare('SELECT value FROM _cf_KV WHERE key = ?').get(key) as { value: Uint8Array } | undefined;
    return row ? (deserialize(row.value) as T) : undefined;
  }

  #kvPut(key: string, value: unknown): void {
    if (value === undefined) throw new TypeError('Cannot store undefined in Durable Object storage');
    this.#touch();
    this.sqlite.prepare('INSERT OR REPLACE INTO _cf_KV (key, value) VALUES (?, ?)').run(key, serialize(value));
  }

  #kvDelete(key: string): boolean {
    this.#touch();
    return Number(this.sqlite.prepare('DELETE FROM _cf_KV WHERE key = ?').run(key).changes) > 0;
  }

  #kvList<T>(o: ListOptions): Map<string, T> {
    this.#touch();
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (o.start !== undefined) {
      where.push('key >= ?');
      args.push(o.start);
    }
    if (o.startAfter !== undefined) {
      where.push('key > ?');
      args.push(o.startAfter);
    }
    if (o.end !== undefined) {
      where.push('key < ?');
      args.push(o.end);
    }
    if (o.prefix !== undefined) {
      where.push('substr(key, 1, ?) = ?');
      args.push(o.prefix.length, o.prefix);
    }
    const sql = `SELECT key, value FROM _cf_KV ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY key ${o.reverse ? 'DESC' : 'ASC'} ${o.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(o.limit))}` : ''}`;
    const rows = this.sqlite.prepare(sql).all(...args) as { key: string; value: Uint8Array }[];
    return new Map(rows.map((r) => [r.key, deserialize(r.value) as T]));
  }

  async get<T>(keys: string | string[]): Promise<T | undefined | Map<string, T>> {
    if (Array.isArray(keys)) {
      const out = new Map<string, T>();
      for (const k of keys) {
        const v = this.#kvGet<T>(k);
        if (v !== undefined) out.set(k, v);
      }
      return out;
    }
    return this.#kvGet<T>(keys);
  }

  async put(keyOrEntries: string | Record<string, unknown>, value?: unknown): Promise<void> {
    if (typeof keyOrEntries === 'string') return this.#kvPut(keyOrEntries, value);
    for (const [k, v] of Object.entries(keyOrEntries)) this.#kvPut(k, v);
  }

  async delete(keys: string | string[]): Promise<boolean | number> {
    if (Array.isArray(keys)) return keys.filter((k) => this.#kvDelete(k)).length;
    return this.#kvDelete(keys);
  }

  async list<T>(options: ListOptions = {}): Promise<Map<string, T>> {
    return this.#kvList<T>(options);
  }

  async deleteAll(): Promise<void> {
    this.#touch();
    this.sqlite.exec('DELETE FROM _cf_KV');
    const tables = this.sqlite
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite_%'")
      .all() as { name: string }[];
    for (const t of tables) this.sqlite.exec(`DROP TABLE "${t.name.replace(/"/g, '""')}"`);
    this.#setMeta('alarm_at', null);
  }

  // --- alarm and metadata ---------------------------------------------------------

  getMeta(key: string): unknown {
    const row = this.sqlite.prepare('SELECT value FROM _cf_METADATA WHERE key = ?').get(key) as { value: unknown } | undefined;
    return row?.value ?? null;
  }

  #setMeta(key: string, value: string | number | null): void {
    this.#touch();
    this.sqlite.prepare('INSERT OR REPLACE INTO _cf_METADATA (key, value) VALUES (?, ?)').run(key, value);
  }

  /** Records which object this file belongs to (read back to re-arm alarms at start). */
  describe(className: string, name: string | null): void {
    this.sqlite.prepare('INSERT OR REPLACE INTO _cf_METADATA (key, value) VALUES (?, ?), (?, ?)').run('class', className, 'name', name);
  }

  async getAlarm(): Promise<number | null> {
    return (this.getMeta('alarm_at') as number | null) ?? null;
  }

  async setAlarm(scheduled: number | Date): Promise<void> {
    const at = typeof scheduled === 'number' ? scheduled : scheduled.getTime();
    if (!Number.isFinite(at)) throw new TypeError('setAlarm() needs a time');
    this.#setMeta('alarm_at', at);
    this.#setMeta('alarm_gen', ((this.getMeta('alarm_gen') as number | null) ?? 0) + 1);
    this.onAlarmChange(at);
  }

  async deleteAlarm(): Promise<void> {
    this.#setMeta('alarm_at', null);
    this.#setMeta('alarm_gen', ((this.getMeta('alarm_gen') as number | null) ?? 0) + 1);
    this.onAlarmChange(null);
  }

  /**
   * @internal Marks an alarm handler as running (committed at once) or done.
   * A mark found at start means the process died inside the handler: that
   * invocation failed, so it is retried at once rather than at whatever time
   * the handler had set meanwhile (an at-least-once alarm, as on Cloudflare).
   */
  markAlarmRunning(running: boolean): void {
    this.#commitImplicit();
    this.sqlite.prepare('INSERT OR REPLACE INTO _cf_METADATA (key, value) VALUES (?, ?)').run('alarm_running', running ? 1 : 0);
  }

  /** @internal Clears the alarm after a successful run, unless the handler set a new one. */
  clearAlarmIfGeneration(gen: number): void {
    if (this.getMeta('alarm_gen') === gen) this.#setMeta('alarm_at', null);
  }

  close(): void {
    this.#commitImplicit();
    this.sqlite.close();
  }
}
