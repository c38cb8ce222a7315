/**
 * The rotation engine's port onto `api_credentials` (engine.ts
 * CredentialRowsPort), adapted from the table's owner,
 * src/credentials/repository.ts, where the SQL and the reasons it is raw live.
 *
 * The updates are compare-and-set (compareAndSetCipherStatement): a row an
 * admin edited after we read it is left alone (counted as skipped), and a
 * replayed batch finds nothing to change. The statement runs between the
 * pool-copy switch's `on` and `off` in one batch (pool/d1-source.ts
 * cipherRewriteStatement): the rotation's own rewrites keep the copy's
 * version, because it hands them to the copy itself.
 */
import type { CredentialRowsPort } from './engine.ts';
import type { StoredRow } from './reencrypt.ts';
import type { CipherRewrite } from '../credentials/cipher-rewrite.ts';
import { compareAndSetCipherStatement, countRowsNotUnder, countRowsUnder, rawCipherRowsPage, type RawCipherRow } from '../credentials/repository.ts';
import { cipherRewriteStatement } from '../pool/d1-source.ts';

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

  async compareAndSet(batch: CipherRewrite): Promise<number> {
    const db = this.#db;
    const [, changed] = await db.batch([cipherRewriteStatement(db, true), compareAndSetCipherStatement(db, batch), cipherRewriteStatement(db, false)]);
    return changed!.meta.changes;
  }

  countUnder(keyId: string, ids: number[]): Promise<number> {
    return countRowsUnder(this.#db, keyId, ids);
  }
}
