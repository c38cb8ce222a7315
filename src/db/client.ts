/** The drizzle client over the D1 binding. `db.batch([...])` is D1's transaction. */
import { drizzle } from 'drizzle-orm/d1';
import * as schema from './schema.ts';

export type Db = ReturnType<typeof build>;

const clients = new WeakMap<D1Database, ReturnType<typeof build>>();

function build(d1: D1Database) {
  return drizzle(d1, { schema });
}

/** One client per binding object: drizzle works out the schema's relations on every construction. */
export function openDb(d1: D1Database): ReturnType<typeof build> {
  let db = clients.get(d1);
  if (!db) {
    db = build(d1);
    clients.set(d1, db);
  }
  return db;
}
