/**
 * The rotation's view of `api_credentials` on D1. Raw prepared statements
 * rather than drizzle because this is the hot path (one UPDATE per row, up to
 * hundreds of thousands of rows); the SQL is small and names the schema's
 * columns directly (src/db/schema.ts, migrations/0001_init.sql).
 *
 * Each UPDATE is a compare-and-set on (id, key_id, encrypted_value): a row an
 * admin edited after we read it no longer matches and is left alone (counted
 * as skipped), and a replayed batch finds nothing to change. 5 bound
 * parameters per statement (D1 allows 100); one `batch()` is one transaction.
 */
import type { CredentialRowsPort } from './engine.ts';
import type { RowUpdate, StoredRow } from './reencrypt.ts';

type RawRow = { id: number; key_id: string; encrypted_value: string };

const toRow = (r: RawRow): StoredRow => ({ id: r.id, keyId: r.key_id, encryptedValue: r.encrypted_value });

export const COMPARE_AND_SET_SQL =
  'UPDATE api_credentials SET encrypted_value = ?1, key_id = ?2 WHERE id = ?3 AND key_id = ?4 AND encrypted_value = ?5';

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
    const { results } = await this.#db
      .prepare('SELECT id, key_id, encrypted_value FROM api_credentials WHERE id > ?1 ORDER BY id LIMIT ?2')
      .bind(afterId, limit)
      .all<RawRow>();
    return results.map(toRow);
  }

  async pageNotUnder(keyId: string, afterId: number, limit: number): Promise<StoredRow[]> {
    const { results } = await this.#db
      .prepare('SELECT id, key_id, encrypted_value FROM api_credentials WHERE id > ?1 AND key_id != ?2 ORDER BY id LIMIT ?3')
      .bind(afterId, keyId, limit)
      .all<RawRow>();
    return results.map(toRow);
  }

  async compareAndSet(updates: RowUpdate[]): Promise<number[]> {
    if (updates.length === 0) return [];
    const stmt = this.#db.prepare(COMPARE_AND_SET_SQL);
    const results = await this.#db.batch(
      updates.map((u) => stmt.bind(u.toValue, u.toKeyId, u.id, u.fromKeyId, u.fromValue)),
    );
    return results.map((r) => r.meta.changes ?? 0);
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
