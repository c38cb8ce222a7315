/**
 * The rotation's view of `api_credentials` on D1. Raw prepared statements
 * rather than drizzle because this is the hot path (one UPDATE per row, up to
 * hundreds of thousands of rows); the SQL is small and names the schema's
 * columns directly (src/db/schema.ts, migrations/0001_init.sql).
 *
 * The updates are compare-and-set on (id, key_id, encrypted_value): a row an
 * admin edited after we read it no longer matches and is left alone (counted
 * as skipped), and a replayed batch finds nothing to change. Each UPDATE
 * carries up to 24 rows as VALUES tuples (4 bound parameters each, plus the
 * target key id: 97 of D1's 100), because one statement per row spent most of
 * a rotation's time in statement overhead; one `batch()` of them is one
 * transaction, committed whole or not at all.
 */
import type { CredentialRowsPort } from './engine.ts';
import type { RowUpdate, StoredRow } from './reencrypt.ts';

/** `id, key_id, encrypted_value`, read with `raw()`: one array per row, no per-row object built by D1 first. */
type RawRow = [id: number, keyId: string, encryptedValue: string];

const toRow = ([id, keyId, encryptedValue]: RawRow): StoredRow => ({ id, keyId, encryptedValue });

/** Rows per UPDATE: 4 bound parameters each plus the target key id, within D1's 100. */
export const ROWS_PER_STATEMENT = 24;

/**
 * A compare-and-set UPDATE for `rows` rows: each row changes only if it still
 * has the id, key_id and encrypted_value we read (`WHERE id = ? AND key_id = ?
 * AND encrypted_value = ?`, one VALUES tuple per row); it returns the ids it changed.
 */
export function compareAndSetSql(rows: number): string {
  const tuples = Array.from({ length: rows }, () => '(?, ?, ?, ?)').join(', ');
  return `UPDATE api_credentials SET encrypted_value = v.column4, key_id = ?
FROM (VALUES ${tuples}) AS v
WHERE api_credentials.id = v.column1 AND api_credentials.key_id = v.column2 AND api_credentials.encrypted_value = v.column3
RETURNING api_credentials.id`;
}

export class D1CredentialRows implements CredentialRowsPort {
  readonly #db: D1Database;

  constructor(db: D1Database) {
    this.#db = db;
  }

  async countNotUnder(keyId: string): Promise<number> {
    const row = await this.#db.prepare('SELECT COUNT(*) AS n FROM api_credentials WHERE key_id != ?1').bind(keyId).first<{ n: number }>();
    return row?.n ?? 0;
  }

  async pageAll(afterId: number, limit: number): Promise<StoredRow[]> {
    const rows = await this.#db
      .prepare('SELECT id, key_id, encrypted_value FROM api_credentials WHERE id > ?1 ORDER BY id LIMIT ?2')
      .bind(afterId, limit)
      .raw<RawRow>();
    return rows.map(toRow);
  }

  async pageNotUnder(keyId: string, afterId: number, limit: number): Promise<StoredRow[]> {
    const rows = await this.#db
      .prepare('SELECT id, key_id, encrypted_value FROM api_credentials WHERE id > ?1 AND key_id != ?2 ORDER BY id LIMIT ?3')
      .bind(afterId, keyId, limit)
      .raw<RawRow>();
    return rows.map(toRow);
  }

  async compareAndSet(updates: RowUpdate[]): Promise<number> {
    if (updates.length === 0) return 0;
    const statements: D1PreparedStatement[] = [];
    const full = this.#db.prepare(compareAndSetSql(ROWS_PER_STATEMENT));
    for (let i = 0; i < updates.length; i += ROWS_PER_STATEMENT) {
      const chunk = updates.slice(i, i + ROWS_PER_STATEMENT);
      const stmt = chunk.length === ROWS_PER_STATEMENT ? full : this.#db.prepare(compareAndSetSql(chunk.length));
      const target = chunk[0]!.toKeyId;
      if (chunk.some((u) => u.toKeyId !== target)) throw new Error('one batch re-encrypts under one key');
      statements.push(stmt.bind(target, ...chunk.flatMap((u) => [u.id, u.fromKeyId, u.fromValue, u.toValue])));
    }
    // One batch() = one transaction: all of it is committed, or none. Rows are
    // counted by RETURNING, not meta.changes, which also counts the rows the
    // pool-copy triggers touch (migration 0050).
    const results = await this.#db.batch(statements);
    return results.reduce((n, r) => n + r.results.length, 0);
  }

  async countUnder(keyId: string, ids: number[]): Promise<number> {
    if (ids.length === 0) return 0;
    // One bound parameter however many ids (the 100-parameter cap).
    const row = await this.#db
      .prepare('SELECT COUNT(*) AS n FROM api_credentials WHERE key_id = ?1 AND id IN (SELECT value FROM json_each(?2))')
      .bind(keyId, JSON.stringify(ids))
      .first<{ n: number }>();
    return row?.n ?? 0;
  }
}

/** Per-key-id row counts (for the page and status), largest first. */
export async function countRowsByKeyId(db: D1Database): Promise<{ keyId: string; rows: number }[]> {
  const { results } = await db
    .prepare('SELECT key_id, COUNT(*) AS n FROM api_credentials GROUP BY key_id ORDER BY n DESC')
    .all<{ key_id: string; n: number }>();
  return results.map((r) => ({ keyId: r.key_id, rows: r.n }));
}
