// The D1 stand-in over node:sqlite: raw D1 calls and drizzle-orm/d1 both run
// on it with D1's semantics (batch = one transaction, strict binding), and the
// Worker's migrations build a database every drizzle table can query.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { eq, getTableName, is } from 'drizzle-orm';
import { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { SqliteD1Database } from '../../selfhost/d1-sqlite.ts';
import { applyMigrations, readMigrationFiles } from '../../selfhost/migrations.ts';
import { openDb } from '../../src/db/client.ts';
import * as schema from '../../src/db/schema.ts';
import { ROOT, rejection } from './support.ts';

function freshDb(): SqliteD1Database {
  const sqlite = new DatabaseSync(':memory:');
  sqlite.exec('PRAGMA foreign_keys = ON');
  return new SqliteD1Database(sqlite);
}

async function migratedDb(): Promise<SqliteD1Database> {
  const db = freshDb();
  applyMigrations(db.sqlite, await readMigrationFiles(join(ROOT, 'migrations')));
  return db;
}

const T = 'CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, flag INTEGER, data BLOB)';

Deno.test('D1 shim: prepare/bind/first/all/run/raw behave like D1', async () => {
  const db = freshDb();
  await db.exec(T);
  const ins = await db.prepare('INSERT INTO t (name, flag) VALUES (?, ?)').bind('a', true).run();
  assert.equal(ins.success, true);
  assert.equal(ins.meta.changes, 1);
  assert.equal(ins.meta.last_row_id, 1);
  const ret = await db.prepare('INSERT INTO t (name, flag) VALUES (?, ?) RETURNING id').bind('b', false).first<{ id: number }>();
  assert.deepEqual(ret, { id: 2 });
  assert.equal(await db.prepare('SELECT flag FROM t WHERE name = ?').bind('a').first('flag'), 1);
  assert.equal(await db.prepare('SELECT * FROM t WHERE name = ?').bind('zzz').first(), null);
  const all = await db.prepare('SELECT id, name FROM t ORDER BY id').all();
  assert.deepEqual(all.results, [
    { id: 1, name: 'a' },
    { id: 2, name: 'b' },
  ]);
  assert.deepEqual(Object.getPrototypeOf(all.results[0]), Object.prototype);
  assert.deepEqual(await db.prepare('SELECT a.id, b.id FROM t a JOIN t b ON b.id = a.id ORDER BY a.id').raw(), [
    [1, 1],
    [2, 2],
  ]);
  assert.deepEqual(await db.prepare('SELECT id, name FROM t WHERE id = 1').raw({ columnNames: true }), [
    ['id', 'name'],
    [1, 'a'],
  ]);
  const upd = await db.prepare('UPDATE t SET flag = 5').run();
  assert.equal(upd.meta.changes, 2);
});

Deno.test('D1 shim: unbindable values and missing columns fail like D1', async () => {
  const db = freshDb();
  await db.exec(T);
  assert.throws(() => db.prepare('SELECT ?').bind(undefined), /D1_TYPE_ERROR/);
  assert.throws(() => db.prepare('SELECT ?').bind({}), /D1_TYPE_ERROR/);
  const e = await rejection(() => db.prepare('SELECT 1 AS x').first('y'));
  assert.match(String(e), /D1_COLUMN_NOTFOUND/);
  const bad = await rejection(() => db.prepare('SELECT nope FROM t').all());
  assert.match(String(bad), /D1_ERROR: no such column: nope/);
});

Deno.test('D1 shim: batch() is all or nothing, and its error names the constraint, not the value', async () => {
  const db = freshDb();
  await db.exec(T);
  await db.prepare('INSERT INTO t (name) VALUES (?)').bind('taken').run();
  const e = await rejection(() =>
    db.batch([
      db.prepare('INSERT INTO t (name) VALUES (?)').bind('new-row'),
      db.prepare("UPDATE t SET flag = 9 WHERE name = 'taken'"),
      db.prepare('INSERT INTO t (name) VALUES (?)').bind('taken'),
    ]),
  );
  assert.match(String(e), /D1_ERROR: UNIQUE constraint failed: t\.name/);
  assert.ok(!String(e).includes('new-row'));
  const rows = await db.prepare('SELECT name, flag FROM t').all();
  assert.deepEqual(rows.results, [{ name: 'taken', flag: null }]);
  const ok = await db.batch([db.prepare('INSERT INTO t (name) VALUES (?)').bind('x'), db.prepare('SELECT COUNT(*) AS n FROM t')]);
  assert.deepEqual(ok[1]!.results, [{ n: 2 }]);
});

Deno.test('migrations: the Worker migrations apply once, recorded in d1_migrations like wrangler', async () => {
  const db = freshDb();
  const files = await readMigrationFiles(join(ROOT, 'migrations'));
  assert.ok(files.length > 0);
  assert.deepEqual(
    files.map((f) => f.name),
    [...files.map((f) => f.name)].sort(),
  );
  assert.deepEqual(
    applyMigrations(db.sqlite, files),
    files.map((f) => f.name),
  );
  assert.deepEqual(applyMigrations(db.sqlite, files), []);
  const recorded = await db.prepare('SELECT name FROM d1_migrations ORDER BY id').all<{ name: string }>();
  assert.deepEqual(
    recorded.results.map((r) => r.name),
    files.map((f) => f.name),
  );
});

Deno.test('migrations: a failing migration rolls back whole and is not recorded', () => {
  const db = freshDb();
  assert.throws(() => applyMigrations(db.sqlite, [{ name: '0001_bad.sql', sql: 'CREATE TABLE a (x); CREATE TABLE a (y);' }]), /0001_bad\.sql/);
  assert.deepEqual({ ...(db.sqlite.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'a'").get() as object) }, { n: 0 });
  assert.deepEqual({ ...(db.sqlite.prepare('SELECT COUNT(*) AS n FROM d1_migrations').get() as object) }, { n: 0 });
});

Deno.test('drizzle-orm/d1 over the shim: every schema.ts table exists after the migrations and can be queried', async () => {
  const db = openDb((await migratedDb()) as unknown as D1Database);
  const tables = Object.values(schema).filter((v) => is(v, SQLiteTable)) as SQLiteTable[];
  assert.ok(tables.length >= 5);
  for (const table of tables) {
    const rows = await db.select().from(table).limit(1);
    assert.ok(Array.isArray(rows), getTableName(table));
  }
});

Deno.test('drizzle-orm/d1 over the shim: insert, relational findFirst, update and an atomic db.batch', async () => {
  const d1 = await migratedDb();
  const db = openDb(d1 as unknown as D1Database);
  const now = Date.now();
  const [u] = await db
    .insert(schema.users)
    .values({ email: 'Admin@Example.test', hashedPassword: 'x', role: 'admin', createdAt: now, updatedAt: now })
    .returning();
  assert.equal(u!.isActive, true);
  const found = await db.query.users.findFirst({ where: eq(schema.users.email, 'admin@example.test') });
  assert.equal(found?.id, u!.id, 'email compares case-insensitively (COLLATE NOCASE)');
  await db.update(schema.users).set({ tokenVersion: 4 }).where(eq(schema.users.id, u!.id));
  assert.equal((await db.query.users.findFirst({ where: eq(schema.users.id, u!.id) }))?.tokenVersion, 4);

  const e = await rejection(() =>
    db.batch([
      db.update(schema.users).set({ tokenVersion: 99 }).where(eq(schema.users.id, u!.id)),
      db.insert(schema.users).values({ email: 'ADMIN@example.test', hashedPassword: 'y', createdAt: now, updatedAt: now }),
    ]),
  );
  assert.match(String(e), /UNIQUE/);
  assert.equal((await db.query.users.findFirst({ where: eq(schema.users.id, u!.id) }))?.tokenVersion, 4);
});
