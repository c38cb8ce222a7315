/**
 * Applies migrations/*.sql to the local SQLite file the way
 * `wrangler d1 migrations apply` does: files in name order, each in its own
 * transaction, recorded in the same `d1_migrations` table wrangler keeps, so
 * the self-hosted editions run exactly the schema the Worker runs and never applies
 * a file twice.
 */
import { readdir, readFile } from 'node:fs/promises';
import type { DatabaseSync } from 'node:sqlite';

export interface MigrationFile {
  name: string;
  sql: string;
}

const TRACKING_TABLE = `CREATE TABLE IF NOT EXISTS d1_migrations(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT UNIQUE,
  applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
)`;

/** The `.sql` files of a directory, sorted by name (0001_…, 0002_…). */
export async function readMigrationFiles(dir: string): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isFile() && e.name.endsWith('.sql'))
    .map((e) => e.name)
    .sort();
  return Promise.all(names.map(async (name) => ({ name, sql: await readFile(`${dir}/${name}`, 'utf8') })));
}

/** Applies the migrations not yet recorded; returns the names applied now. */
export function applyMigrations(db: DatabaseSync, files: MigrationFile[]): string[] {
  db.exec(TRACKING_TABLE);
  const applied = new Set((db.prepare('SELECT name FROM d1_migrations').all() as { name: string }[]).map((r) => r.name));
  const now: string[] = [];
  for (const file of files) {
    if (applied.has(file.name)) continue;
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec(file.sql);
      db.prepare('INSERT INTO d1_migrations (name) VALUES (?)').run(file.name);
      db.exec('COMMIT');
    } catch (e) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw new Error(`Migration ${file.name} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    now.push(file.name);
  }
  return now;
}
