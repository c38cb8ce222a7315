/**
 * The rotation engine's port onto `api_credentials` (engine.ts
 * CredentialRowsPort), adapted from the table's owner,
 * src/credentials/repository.ts, where the SQL and the reasons it is raw live.
 *
 * The updates are compare-and-set (compareAndSetCipherRows): a row an admin
 * edited after we read it is left alone (counted as skipped), and a replayed
 * batch finds nothing to change.
 */
import type { CredentialRowsPort } from './engine.ts';
import type { RowUpdate, StoredRow } from './reencrypt.ts';
import { compareAndSetCipherRows, countRowsNotUnder, countRowsUnder, rawCipherRowsPage, type RawCipherRow } from '../credentials/repository.ts';

const toRow = ([id, keyId, encryptedValue]: RawCipherRow): StoredRow => ({ id, keyId, encryptedValue });

export class D1CredentialRows implements CredentialRowsPort {
  readonly #db: D1Database;

  constructor(db: D1Database) {
    this.#db = db;
  }

  countNotUnder(keyId: string): Promise<number> {
    return countRowsNotUnder(this.#db, keyId);
  }

  async pageAll(afterId: number, limit: number): Promise<StoredRow[]> {
    return (await rawCipherRowsPage(this.#db, afterId, limit)).map(toRow);
  }

  async pageNotUnder(keyId: string, afterId: number, limit: number): Promise<StoredRow[]> {
    return (await rawCipherRowsPage(this.#db, afterId, limit, keyId)).map(toRow);
  }

  compareAndSet(updates: RowUpdate[]): Promise<number> {
    return compareAndSetCipherRows(this.#db, updates);
  }

  countUnder(keyId: string, ids: number[]): Promise<number> {
    return countRowsUnder(this.#db, keyId, ids);
  }
}
