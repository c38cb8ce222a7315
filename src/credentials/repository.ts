/**
 * The owner of `api_credentials` (src/db/owners.ts): every query on that table
 * lives here, through drizzle where drizzle can express it. Thin on purpose:
 * reads, and unexecuted write statements that the callers put into one
 * `db.batch([...])` together with their audit event.
 */
import { and, asc, count, desc, eq, gt, type SQL } from 'drizzle-orm';
import { openDb, type Db } from '../db/client.ts';
import { rawQuery, type BuiltQuery } from '../db/sql-text.ts';
import { apiCredentials, type CredentialRow } from '../db/schema.ts';
import type { CredentialListQuery } from './input.ts';
import { cipherRewriteSql, type CipherRewrite } from './cipher-rewrite.ts';

export type NewCredentialRow = typeof apiCredentials.$inferInsert;
export type CredentialRowChanges = Partial<Omit<NewCredentialRow, 'id' | 'platform' | 'tier' | 'createdAt' | 'createdBy'>>;

export async function findCredentialRow(db: Db, id: number): Promise<CredentialRow | undefined> {
  return db.select().from(apiCredentials).where(eq(apiCredentials.id, id)).get();
}

function listWhere(q: Omit<CredentialListQuery, 'limit' | 'offset'>): SQL | undefined {
  const conds: SQL[] = [];
  if (q.platform) conds.push(eq(apiCredentials.platform, q.platform));
  if (q.tier) conds.push(eq(apiCredentials.tier, q.tier));
  if (q.active !== undefined) conds.push(eq(apiCredentials.isActive, q.active));
  return conds.length ? and(...conds) : undefined;
}

/** One page of rows (ordered platform, tier, name, id: stable under offset paging) and the filtered total. */
export async function listCredentialRows(db: Db, q: CredentialListQuery): Promise<{ rows: CredentialRow[]; total: number }> {
  const where = listWhere(q);
  const [rows, totals] = await db.batch([
    db
      .select()
      .from(apiCredentials)
      .where(where)
      .orderBy(asc(apiCredentials.platform), asc(apiCredentials.tier), asc(apiCredentials.credentialName), asc(apiCredentials.id))
      .limit(q.limit)
      .offset(q.offset),
    db.select({ n: count() }).from(apiCredentials).where(where),
  ]);
  return { rows, total: totals[0]?.n ?? 0 };
}

/** Inserts rows in one statement, unexecuted and without RETURNING (the bench seeds thousands this way: bench/seed.ts). */
export function insertCredentialRowsQuery(db: Db, rows: NewCredentialRow[]) {
  return db.insert(apiCredentials).values(rows);
}

export function insertCredentialStatement(db: Db, row: NewCredentialRow) {
  return insertCredentialRowsQuery(db, [row]).returning();
}

/** What an import writes per row (scripts/import-credentials.ts); `created_by` stays NULL and the other columns take their defaults. */
type ImportedCredentialRow = Required<
  Pick<
    NewCredentialRow,
    'platform' | 'tier' | 'credentialName' | 'encryptedValue' | 'keyId' | 'isActive' | 'dailyQuota' | 'monthlyQuota' | 'notes' | 'createdAt' | 'updatedAt'
  >
>;

/**
 * Inserts `r` unless a row with its platform, tier and name exists, so a
 * re-run of an import skips what it wrote before. Raw SQL: INSERT … SELECT …
 * WHERE NOT EXISTS naming only these columns, which drizzle's insert-select
 * (every column, in table order) does not express.
 */
export function insertImportedCredentialQuery(r: ImportedCredentialRow): BuiltQuery {
  return rawQuery(
    [
      'INSERT INTO api_credentials (platform, tier, credential_name, encrypted_value, key_id, is_active, daily_quota, monthly_quota, notes, created_by, created_at, updated_at)',
      'SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?',
      'WHERE NOT EXISTS (SELECT 1 FROM api_credentials WHERE platform = ? AND tier = ? AND credential_name = ?)',
    ].join('\n'),
    [
      r.platform,
      r.tier,
      r.credentialName,
      r.encryptedValue,
      r.keyId,
      r.isActive,
      r.dailyQuota,
      r.monthlyQuota,
      r.notes,
      r.createdAt,
      r.updatedAt,
      r.platform,
      r.tier,
      r.credentialName,
    ],
  );
}

/** Every row's platform, tier and name (what an import checks for presence), unexecuted; keys are column names, for SQL text. */
export function credentialNamesQuery(db: Db) {
  const c = apiCredentials;
  return db.select({ platform: c.platform, tier: c.tier, credential_name: c.credentialName }).from(c);
}

/** Deletes every row, unexecuted: the bench empties the table before it times creates (bench/sections/credentials.ts). */
export function deleteAllCredentialsQuery(db: Db) {
  return db.delete(apiCredentials);
}

export function updateCredentialStatement(db: Db, id: number, changes: CredentialRowChanges) {
  return db.update(apiCredentials).set(changes).where(eq(apiCredentials.id, id)).returning();
}

export function deleteCredentialStatement(db: Db, id: number) {
  return db.delete(apiCredentials).where(eq(apiCredentials.id, id)).returning({ id: apiCredentials.id });
}

// ---------------------------------------------------------------------------
// Reads and writes other modules need (health, recovery, rotation, the pool).
// They call these; no other module names `api_credentials` (test/node/table-owners.test.ts).
// Functions taking a raw `D1Database` either run in a batch of raw D1
// statements or are raw SQL for the reason given next to them.
// ---------------------------------------------------------------------------

/** A row's key id, state, quotas and token expiry, without ciphertext: what health, recovery and the alert checks judge. */
export interface CredentialFactsRow {
  id: number;
  platform: string;
  tier: string;
  credential_name: string;
  key_id: string;
  is_active: number | boolean;
  daily_quota: number | null;
  monthly_quota: number | null;
  max_leases: number | null;
  expires_at: number | null;
}

/** Every row's facts, by id. */
export async function credentialFactsRows(d1: D1Database): Promise<CredentialFactsRow[]> {
  const c = apiCredentials;
  return openDb(d1)
    .select({
      id: c.id,
      platform: c.platform,
      tier: c.tier,
      credential_name: c.credentialName,
      key_id: c.keyId,
      is_active: c.isActive,
      daily_quota: c.dailyQuota,
      monthly_quota: c.monthlyQuota,
      max_leases: c.maxLeases,
      expires_at: c.expiresAt,
    })
    .from(c)
    .orderBy(asc(c.id));
}

/** Per-key-id row counts, largest first. */
export async function countRowsByKeyId(d1: D1Database): Promise<{ keyId: string; rows: number }[]> {
  const n = count();
  return openDb(d1).select({ keyId: apiCredentials.keyId, rows: n }).from(apiCredentials).groupBy(apiCredentials.keyId).orderBy(desc(n));
}

/** Rows per key id (the credential-key fact behind health, the banner and recovery). */
export async function rowsPerKeyId(d1: D1Database): Promise<Map<string, number>> {
  return new Map((await countRowsByKeyId(d1)).map((r) => [r.keyId, r.rows]));
}

/** A row with its ciphertext, as the decrypt checks open it. */
export type CipherRow = { id: number; platform: string; tier: string; key_id: string; encrypted_value: string };

/**
 * The first and last row under each of `keyIds`. Raw SQL: a UNION of two
 * grouped sub-selects over one JSON-bound list (one parameter however many
 * ids), which drizzle's builder does not compose.
 */
export async function firstAndLastRowPerKeyId(d1: D1Database, keyIds: string[]): Promise<CipherRow[]> {
  const { results } = await d1
    .prepare(
      `SELECT id, platform, tier, key_id, encrypted_value FROM api_credentials WHERE id IN (
         SELECT MIN(id) FROM api_credentials WHERE key_id IN (SELECT value FROM json_each(?1)) GROUP BY key_id
         UNION SELECT MAX(id) FROM api_credentials WHERE key_id IN (SELECT value FROM json_each(?1)) GROUP BY key_id)`,
    )
    .bind(JSON.stringify(keyIds))
    .all<CipherRow>();
  return results;
}

/** One page of rows with their ciphertext, by id after `afterId`. */
export async function cipherRowsPage(d1: D1Database, afterId: number, limit: number): Promise<CipherRow[]> {
  const c = apiCredentials;
  return openDb(d1)
    .select({ id: c.id, platform: c.platform, tier: c.tier, key_id: c.keyId, encrypted_value: c.encryptedValue })
    .from(c)
    .where(gt(c.id, afterId))
    .orderBy(asc(c.id))
    .limit(limit);
}

// --- Key rotation (rotation/d1-rows.ts adapts these to the engine's port) ---
// Raw prepared statements rather than drizzle: this is the rotation's hot path
// (up to hundreds of thousands of rows), read with `raw()` (one array per row,
// no per-row object built first), and the compare-and-set is one multi-row
// UPDATE … FROM json_each(…) that drizzle cannot express.

/** `id, key_id, encrypted_value`, read with `raw()`. */
export type RawCipherRow = [id: number, keyId: string, encryptedValue: string];

/**
 * The compare-and-set UPDATE: each row changes only if it still has the id,
 * key_id and encrypted_value we read (known by its HMAC tail). The rows ride
 * in ONE bound parameter, the batch's JSON (cipher-rewrite.ts), so one
 * statement carries a whole batch within D1's 100 bound parameters: one statement per row, and later one per
 * 24 rows as VALUES tuples, spent most of a rotation's time in per-statement
 * overhead. No RETURNING: the batch's `meta.changes` counts the rows it
 * changed (the rotation runs it with the pool-copy switch on, so no trigger
 * adds to that count), and building a result object per row cost the
 * rotation more than the statement itself.
 */
const COMPARE_AND_SET_SQL = cipherRewriteSql('api_credentials', '?2', '?1');

/**
 * The statement that re-encrypts a batch compare-and-set on (id, key_id,
 * encrypted_value): a row edited after it was read no longer matches and is
 * left alone, and a replayed batch changes nothing. Run it in a batch (one
 * transaction); its result's `meta.changes` is how many rows it changed.
 */
export function compareAndSetCipherStatement(d1: D1Database, batch: CipherRewrite): D1PreparedStatement {
  return d1.prepare(COMPARE_AND_SET_SQL).bind(batch.toKeyId, batch.rows);
}

export async function countRowsNotUnder(d1: D1Database, keyId: string): Promise<number> {
  const row = await d1.prepare('SELECT COUNT(*) AS n FROM api_credentials WHERE key_id != ?1').bind(keyId).first<{ n: number }>();
  return row?.n ?? 0;
}

export async function rawCipherRowsPage(d1: D1Database, afterId: number, limit: number, notUnderKeyId?: string): Promise<RawCipherRow[]> {
  if (notUnderKeyId === undefined) {
    return d1.prepare('SELECT id, key_id, encrypted_value FROM api_credentials WHERE id > ?1 ORDER BY id LIMIT ?2').bind(afterId, limit).raw<RawCipherRow>();
  }
  return d1
    .prepare('SELECT id, key_id, encrypted_value FROM api_credentials WHERE id > ?1 AND key_id != ?2 ORDER BY id LIMIT ?3')
    .bind(afterId, notUnderKeyId, limit)
    .raw<RawCipherRow>();
}

/** How many of `ids` are under `keyId` (one bound parameter however many ids: the 100-parameter cap). */
export async function countRowsUnder(d1: D1Database, keyId: string, ids: number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const row = await d1
    .prepare('SELECT COUNT(*) AS n FROM api_credentials WHERE key_id = ?1 AND id IN (SELECT value FROM json_each(?2))')
    .bind(keyId, JSON.stringify(ids))
    .first<{ n: number }>();
  return row?.n ?? 0;
}

// --- The pool's working copy (pool/d1-source.ts puts these in its batches) ---

/** What the pool's copy holds per credential (pool/copy-store.ts). */
export interface PoolCopyCredentialRow {
  id: number;
  platform: string;
  tier: string;
  encrypted_value: string;
  key_id: string;
  is_active: number;
  daily_quota: number | null;
  monthly_quota: number | null;
  max_leases: number | null;
  last_used_at: number | null;
  sharing: 'allowed' | 'never' | null;
}

/**
 * One page of rows as the pool copies them (id > afterId, in id order), as ONE
 * JSON text `rows` (an array of column arrays, in PoolCopyCredentialRow's
 * order) with the page's `last` id and row count `n`: the pool writes it into
 * its own SQLite in one statement, so a sync never holds a JS object per row
 * nor the whole table (pool/d1-source.ts syncCopy). Raw: drizzle cannot
 * express json_group_array over an ordered, limited subquery.
 */
export function poolCopyCredentialsPageStatement(d1: D1Database, afterId: number, limit: number): D1PreparedStatement {
  return d1
    .prepare(
      `SELECT json_group_array(json_array(id, platform, tier, encrypted_value, key_id, is_active, daily_quota, monthly_quota, max_leases, last_used_at, sharing)) AS rows,
            max(id) AS last, count(*) AS n
     FROM (SELECT * FROM api_credentials WHERE id > ?1 ORDER BY id LIMIT ?2)`,
    )
    .bind(afterId, limit);
}

/** A page as poolCopyCredentialsPageStatement answers it. */
export interface PoolCopyCredentialsPage {
  rows: string;
  last: number | null;
  n: number;
}

/**
 * The pool's coalesced usage: `last_used_at` and `last_error_at` only move
 * forward, error counts add up. Raw SQL: it merges a JSON list of rows in one
 * statement (UPDATE … FROM json_each), which drizzle cannot express.
 */
export function credentialUsageStatement(
  d1: D1Database,
  rows: { id: number; usedAt: number | null; errors: number; errorAt: number | null }[],
): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE api_credentials SET
       last_used_at = CASE WHEN u.used_at IS NULL THEN api_credentials.last_used_at
                           ELSE MAX(COALESCE(api_credentials.last_used_at, 0), u.used_at) END,
       error_count = api_credentials.error_count + u.errors,
       last_error_at = CASE WHEN u.error_at IS NULL THEN api_credentials.last_error_at
                            ELSE MAX(COALESCE(api_credentials.last_error_at, 0), u.error_at) END
     FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS used_at,
                  json_extract(value, '$[2]') AS errors, json_extract(value, '$[3]') AS error_at FROM json_each(?)) AS u
     WHERE api_credentials.id = u.id`,
    )
    .bind(JSON.stringify(rows.map((c) => [c.id, c.usedAt, c.errors, c.errorAt])));
}

/** The pool's deactivation after repeated auth failures; raw because it shares a D1 batch with a raw statement. */
export function deactivateCredentialStatement(d1: D1Database, id: number, now: number): D1PreparedStatement {
  return d1.prepare('UPDATE api_credentials SET is_active = 0, updated_at = ? WHERE id = ?').bind(now, id);
}

// --- The pool's operations by credential id (issue 21, pool/by-id.ts) ---

/** A credential's metadata for collectors: never its ciphertext. */
export interface CredentialMetadataRow {
  id: number;
  credential_name: string;
  platform: string;
  tier: string;
  is_active: boolean;
  expires_at: number | null;
}

function metadataColumns() {
  const c = apiCredentials;
  return { id: c.id, credential_name: c.credentialName, platform: c.platform, tier: c.tier, is_active: c.isActive, expires_at: c.expiresAt };
}

/** The metadata of one pool's rows (platform and tier), by id. */
export async function credentialMetadataRows(d1: D1Database, platform: string, tier: string): Promise<CredentialMetadataRow[]> {
  const c = apiCredentials;
  return openDb(d1)
    .select(metadataColumns())
    .from(c)
    .where(and(eq(c.platform, platform), eq(c.tier, tier as CredentialRow['tier'])))
    .orderBy(asc(c.id));
}

export async function credentialMetadataRow(d1: D1Database, id: number): Promise<CredentialMetadataRow | undefined> {
  return openDb(d1).select(metadataColumns()).from(apiCredentials).where(eq(apiCredentials.id, id)).get();
}

/** Sets the token expiry (unix ms or null); returns the id when the row exists. Raw: it shares a D1 batch with the audit statement. */
export function setCredentialExpiryStatement(d1: D1Database, id: number, expiresAt: number | null): D1PreparedStatement {
  return d1.prepare('UPDATE api_credentials SET expires_at = ? WHERE id = ? RETURNING id').bind(expiresAt, id);
}

/**
 * A lease holder's new fields (sealed by the caller) with who and when;
 * returns the id when the row exists. Raw: it shares a D1 batch with the audit statement.
 */
export function replaceFieldsByHolderStatement(
  d1: D1Database,
  u: { id: number; encryptedValue: string; keyId: string; at: number; actor: string },
): D1PreparedStatement {
  return d1
    .prepare(
      'UPDATE api_credentials SET encrypted_value = ?, key_id = ?, updated_at = ?, fields_updated_at = ?, fields_updated_by = ? WHERE id = ? RETURNING id',
    )
    .bind(u.encryptedValue, u.keyId, u.at, u.at, u.actor, u.id);
}

// --- Lost-key recovery's purge (recovery/store.ts) ---

/**
 * `[id, key_id, updated_at]` of each of `ids`: the purge's compare-and-set
 * stamps. Raw SQL: the ids are one JSON-bound parameter (json_each), however
 * many (D1 caps bound parameters at 100, which drizzle's `inArray` would hit).
 */
export async function purgeStamps(d1: D1Database, ids: number[]): Promise<[number, string, number][]> {
  const { results } = await d1
    .prepare('SELECT id, key_id, updated_at FROM api_credentials WHERE id IN (SELECT value FROM json_each(?))')
    .bind(JSON.stringify(ids))
    .all<{ id: number; key_id: string; updated_at: number }>();
  return results.map((r) => [r.id, r.key_id, r.updated_at]);
}

/**
 * Deletes the rows whose `[id, key_id, updated_at]` still match a stamp, so a
 * row re-entered or replaced meanwhile stays. Raw SQL: the match is against a
 * JSON-bound list (one parameter however many rows), and the statement rides
 * in recovery's raw D1 batch, whose next statement counts it with `changes()`.
 */
export function purgeCredentialsStatement(d1: D1Database, stamps: [number, string, number][]): D1PreparedStatement {
  return d1
    .prepare(
      `DELETE FROM api_credentials WHERE EXISTS (SELECT 1 FROM json_each(?) j WHERE json_extract(j.value, '$[0]') = api_credentials.id
       AND json_extract(j.value, '$[1]') = api_credentials.key_id AND json_extract(j.value, '$[2]') = api_credentials.updated_at)`,
    )
    .bind(JSON.stringify(stamps));
}
