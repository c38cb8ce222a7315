/**
 * The CredentialPool object's SQLite schema, versioned: `pool_schema` holds
 * the number of migrations applied, and each construction of the object
 * applies only the ones it has not (each in one transaction with its number).
 * A change to a table is a new entry at the end of MIGRATIONS, never an edit
 * of an old one: an object created under an old release has run those
 * already.
 *
 * The tables' owners (what each holds, who writes it): pool-store.ts (lock,
 * leases, credential state, quota usage), copy-store.ts (the working copy of
 * D1, its sync's staging table and the usage outbox), copy-sync.ts
 * (`copy_sync_state`), by-id-store.ts (`cooldowns_by_id`, `lease_ends`).
 */

const MIGRATIONS: readonly string[] = [
  // 1 (issues 5, 14): the schema objects had before versioning (commit 482cf98). The two DROP INDEX statements remove indexes that
  // objects created before issue 14 had (no statement reads through them).
  `
CREATE TABLE IF NOT EXISTS pool_lock (id INTEGER PRIMARY KEY CHECK (id = 1), holder TEXT NOT NULL, since INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS leases (
  lease_id TEXT PRIMARY KEY, credential_id INTEGER NOT NULL, platform TEXT NOT NULL, tier TEXT NOT NULL,
  task_id TEXT NOT NULL, holder TEXT NOT NULL, acquired_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  day_period TEXT NOT NULL, month_period TEXT NOT NULL);
DROP INDEX IF EXISTS leases_credential;
CREATE INDEX IF NOT EXISTS leases_expiry ON leases (expires_at);
CREATE TABLE IF NOT EXISTS credential_state (
  credential_id INTEGER PRIMARY KEY, last_leased_at INTEGER, cooldown_until INTEGER,
  consecutive_errors INTEGER NOT NULL DEFAULT 0, consecutive_auth_failures INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS usage (credential_id INTEGER NOT NULL, period TEXT NOT NULL, units INTEGER NOT NULL, PRIMARY KEY (credential_id, period));

CREATE TABLE IF NOT EXISTS copy_credentials (
  id INTEGER PRIMARY KEY, platform TEXT NOT NULL, tier TEXT NOT NULL, encrypted_value TEXT NOT NULL, key_id TEXT NOT NULL,
  is_active INTEGER NOT NULL, daily_quota INTEGER, monthly_quota INTEGER, max_leases INTEGER, last_used_at INTEGER);
DROP INDEX IF EXISTS copy_credentials_platform_tier;
CREATE TABLE IF NOT EXISTS copy_api_keys (
  key_prefix TEXT PRIMARY KEY, id INTEGER NOT NULL, key_hash TEXT NOT NULL, scope TEXT NOT NULL, user_id INTEGER,
  revoked_at INTEGER, expires_at INTEGER, owner_role TEXT, owner_active INTEGER);
CREATE TABLE IF NOT EXISTS copy_meta (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, synced_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox_credentials (id INTEGER PRIMARY KEY, used_at INTEGER, errors INTEGER NOT NULL, error_at INTEGER);
CREATE TABLE IF NOT EXISTS outbox_api_keys (id INTEGER PRIMARY KEY, used_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox_inflight_credentials (id INTEGER PRIMARY KEY, used_at INTEGER, errors INTEGER NOT NULL, error_at INTEGER);
CREATE TABLE IF NOT EXISTS outbox_inflight_api_keys (id INTEGER PRIMARY KEY, used_at INTEGER NOT NULL);
`,
  // 2 (issue 19 part 1): the copy fails closed while a committed write's sync is not confirmed.
  `
CREATE TABLE copy_sync_state (id INTEGER PRIMARY KEY CHECK (id = 1), pending_since INTEGER NOT NULL);
`,
  // 3 (issue 19 part 2): pools are loaded through their index; a sync writes its pages into a staging table.
  `
CREATE INDEX copy_credentials_platform_tier ON copy_credentials (platform, tier, id);
CREATE TABLE copy_credentials_next (
  id INTEGER PRIMARY KEY, platform TEXT NOT NULL, tier TEXT NOT NULL, encrypted_value TEXT NOT NULL, key_id TEXT NOT NULL,
  is_active INTEGER NOT NULL, daily_quota INTEGER, monthly_quota INTEGER, max_leases INTEGER, last_used_at INTEGER);
`,
  // 4 (issue 21): lease modes (leases stored before them are exclusive; copied rows allow sharing, as D1's
  // default, until the next sync says otherwise), and the operations by credential id (by-id-store.ts).
  `
ALTER TABLE leases ADD COLUMN mode TEXT NOT NULL DEFAULT 'exclusive';
ALTER TABLE copy_credentials ADD COLUMN sharing TEXT NOT NULL DEFAULT 'allowed';
ALTER TABLE copy_credentials_next ADD COLUMN sharing TEXT NOT NULL DEFAULT 'allowed';
CREATE TABLE cooldowns_by_id (
  credential_id INTEGER PRIMARY KEY, until INTEGER NOT NULL, reason TEXT NOT NULL, set_by TEXT NOT NULL, set_at INTEGER NOT NULL);
CREATE TABLE lease_ends (
  credential_id INTEGER NOT NULL, holder TEXT NOT NULL, ended_at INTEGER NOT NULL, PRIMARY KEY (credential_id, holder));
`,
];

/** The schema version this code needs (the number of MIGRATIONS). */
export const POOL_SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the object's SQLite up to POOL_SCHEMA_VERSION; a no-op (one read) when it is there. Answers the version. */
export function migratePoolObject(storage: DurableObjectStorage): number {
  const sql = storage.sql;
  sql.exec('CREATE TABLE IF NOT EXISTS pool_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)');
  const at = (sql.exec('SELECT version FROM pool_schema WHERE id = 1').toArray()[0]?.version as number | undefined) ?? 0;
  for (let v = at; v < MIGRATIONS.length; v++) {
    storage.transactionSync(() => {
      sql.exec(MIGRATIONS[v]!);
      sql.exec('INSERT OR REPLACE INTO pool_schema (id, version) VALUES (1, ?)', v + 1);
    });
  }
  return Math.max(at, MIGRATIONS.length);
}
