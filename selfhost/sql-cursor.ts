/**
 * The result of `ctx.storage.sql.exec()` on the self-hosted editions, read like
 * workerd's SqlStorageCursor: single pass, as objects (`toArray`, `one`,
 * iteration) or as arrays (`raw`), with `columnNames`, `rowsRead` and
 * `rowsWritten`. BLOBs are ArrayBuffers, as in workerd.
 */

export type SqlStorageValue = ArrayBuffer | string | number | null;
export type SqlRow = Record<string, SqlStorageValue>;

/** A finished query's rows, read like workerd's SqlStorageCursor (single pass). */
export class SqlCursor<T extends SqlRow = SqlRow> {
  readonly columnNames: string[];
  readonly rowsRead: number;
  readonly rowsWritten: number;
  readonly #rows: SqlStorageValue[][];
  #next = 0;

  constructor(columnNames: string[], rows: SqlStorageValue[][], rowsWritten: number) {
    this.columnNames = columnNames;
    this.#rows = rows;
    this.rowsRead = rows.length;
    this.rowsWritten = rowsWritten;
  }

  #object(r: SqlStorageValue[]): T {
    const o: SqlRow = {};
    for (const [i, c] of this.columnNames.entries()) o[c] = r[i]!;
    return o as T;
  }

  next(): { done?: false; value: T } | { done: true; value?: never } {
    if (this.#next >= this.#rows.length) return { done: true };
    return { done: false, value: this.#object(this.#rows[this.#next++]!) };
  }

  toArray(): T[] {
    const rest = this.#rows.slice(this.#next).map((r) => this.#object(r));
    this.#next = this.#rows.length;
    return rest;
  }

  one(): T {
    const rest = this.toArray();
    if (rest.length === 0) throw new Error('Expected exactly one result from SQL query, but got no results.');
    if (rest.length > 1) throw new Error('Expected exactly one result from SQL query, but got multiple results.');
    return rest[0]!;
  }

  *raw<U extends SqlStorageValue[]>(): IterableIterator<U> {
    while (this.#next < this.#rows.length) yield this.#rows[this.#next++] as U;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let r = this.next(); !r.done; r = this.next()) yield r.value;
  }
}
