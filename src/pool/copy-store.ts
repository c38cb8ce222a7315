/**
 * The CredentialPool's working copy of D1 and its usage outbox, in the
 * object's own SQLite storage (synchronous, like pool-store.ts). The hot path
 * (acquire, renew, release, report-error) reads only these tables, never D1.
 *
 * Tables (times unix ms):
 *   copy_credentials(id, platform, tier, encrypted_value, key_id, is_active, quotas, max_leases, last_used_at)
 *   copy_api_keys(key_prefix, id, key_hash, scope, user_id, revoked_at, expires_at, owner_role, owner_active)
 *   copy_meta(version, synced_at)       the D1 `pool_copy_version` the copy was read at; no row = never synced
 *   outbox_credentials(id, used_at, errors, error_at)   usage not yet written back to D1
 *   outbox_api_keys(id, used_at)
 *   outbox_inflight_*                   the same, while a flush is on its way to D1
 *
 * `replaceAll` swaps the whole copy in one SQLite transaction, so a crash in
 * the middle of a sync leaves the previous copy and its previous version: the
 * version check then finds the copy behind and syncs again (docs/data-model.md).
 */
import type { ApiKeyScope, Role } from '../auth/principal.ts';

export interface CopiedCredential {
  id: number;
  platform: string;
  tier: string;
  encryptedValue: string;
  keyId: string;
  isActive: boolean;
  dailyQuota: number | null;
  monthlyQuota: number | null;
  maxLeases: number | null;
  lastUsedAt: number | null;
}

export interface CopiedApiKey {
  id: number;
  keyPrefix: string;
  keyHash: string;
  scope: ApiKeyScope;
  userId: number | null;
  revokedAt: number | null;
  expiresAt: number | null;
  /** The owner as D1 had it: null when the key has no owner (a service key) or the owner row is gone. */
  owner: { role: Role; isActive: boolean } | null;
}

export interface Snapshot {
  version: number;
  credentials: CopiedCredential[];
  apiKeys: CopiedApiKey[];
}

export interface CredentialUsage {
  id: number;
  usedAt: number | null;
  errors: number;
  errorAt: number | null;
}

export interface ApiKeyUsage {
  id: number;
  usedAt: number;
}

export interface Outbox {
  credentials: CredentialUsage[];
  apiKeys: ApiKeyUsage[];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS copy_credentials (
  id INTEGER PRIMARY KEY, platform TEXT NOT NULL, tier TEXT NOT NULL, encrypted_value TEXT NOT NULL, key_id TEXT NOT NULL,
  is_active INTEGER NOT NULL, daily_quota INTEGER, monthly_quota INTEGER, max_leases INTEGER, last_used_at INTEGER);
CREATE INDEX IF NOT EXISTS copy_credentials_platform_tier ON copy_credentials (platform, tier);
CREATE TABLE IF NOT EXISTS copy_api_keys (
  key_prefix TEXT PRIMARY KEY, id INTEGER NOT NULL, key_hash TEXT NOT NULL, scope TEXT NOT NULL, user_id INTEGER,
  revoked_at INTEGER, expires_at INTEGER, owner_role TEXT, owner_active INTEGER);
CREATE TABLE IF NOT EXISTS copy_meta (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, synced_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox_credentials (id INTEGER PRIMARY KEY, used_at INTEGER, errors INTEGER NOT NULL, error_at INTEGER);
CREATE TABLE IF NOT EXISTS outbox_api_keys (id INTEGER PRIMARY KEY, used_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox_inflight_credentials (id INTEGER PRIMARY KEY, used_at INTEGER, errors INTEGER NOT NULL, error_at INTEGER);
CREATE TABLE IF NOT EXISTS outbox_inflight_api_keys (id INTEGER PRIMARY KEY, used_at INTEGER NOT NULL);
`;

/** Adds usage rows of `from` into `to` (later times win, error counts add up). */
const MERGE_CREDENTIALS = (from: string, to: string) => `
INSERT INTO ${to} (id, used_at, errors, error_at) SELECT id, used_at, errors, error_at FROM ${from} WHERE true
ON CONFLICT (id) DO UPDATE SET
  used_at = CASE WHEN excluded.used_at IS NULL THEN used_at WHEN used_at IS NULL THEN excluded.used_at ELSE MAX(used_at, excluded.used_at) END,
  errors = errors + excluded.errors,
  error_at = CASE WHEN excluded.error_at IS NULL THEN error_at WHEN error_at IS NULL THEN excluded.error_at ELSE MAX(error_at, excluded.error_at) END`;
const MERGE_API_KEYS = (from: string, to: string) => `
INSERT INTO ${to} (id, used_at) SELECT id, used_at FROM ${from} WHERE true
ON CONFLICT (id) DO UPDATE SET used_at = MAX(used_at, excluded.used_at)`;

type Row = Record<string, SqlStorageValue>;

function toCredential(r: Row): CopiedCredential {
  return {
    id: r.id as number,
    platform: r.platform as string,
    tier: r.tier as string,
    encryptedValue: r.encrypted_value as string,
    keyId: r.key_id as string,
    isActive: Boolean(r.is_active),
    dailyQuota: (r.daily_quota as number | null) ?? null,
    monthlyQuota: (r.monthly_quota as number | null) ?? null,
    maxLeases: (r.max_leases as number | null) ?? null,
    lastUsedAt: (r.last_used_at as number | null) ?? null,
  };
}

export class CopyStore {
  readonly #storage: DurableObjectStorage;
  readonly #sql: SqlStorage;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    this.#sql = storage.sql;
    this.#sql.exec(SCHEMA);
    // A flush that never came back (the object died on the way): its usage goes out again with the next one.
    this.#returnInflight();
  }

  // --- the copy -----------------------------------------------------------------

  /** The D1 version the copy was read at, or null when it was never synced. */
  version(): number | null {
    const row = this.#sql.exec('SELECT version FROM copy_meta WHERE id = 1').toArray()[0];
    return row ? (row.version as number) : null;
  }

  /** Replaces the whole copy and its version, atomically. */
  replaceAll(s: Snapshot, now: number): void {
    this.#storage.transactionSync(() => {
      this.#sql.exec('DELETE FROM copy_credentials');
      this.#sql.exec('DELETE FROM copy_api_keys');
      for (const c of s.credentials) {
        this.#sql.exec(
          `INSERT INTO copy_credentials (id, platform, tier, encrypted_value, key_id, is_active, daily_quota, monthly_quota, max_leases, last_used_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          c.id, c.platform, c.tier, c.encryptedValue, c.keyId, c.isActive ? 1 : 0, c.dailyQuota, c.monthlyQuota, c.maxLeases, c.lastUsedAt,
        );
      }
      for (const k of s.apiKeys) {
        this.#sql.exec(
          `INSERT INTO copy_api_keys (key_prefix, id, key_hash, scope, user_id, revoked_at, expires_at, owner_role, owner_active)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          k.keyPrefix, k.id, k.keyHash, k.scope, k.userId, k.revokedAt, k.expiresAt, k.owner?.role ?? null,
          k.owner === null ? null : k.owner.isActive ? 1 : 0,
        );
      }
      this.#sql.exec('INSERT OR REPLACE INTO copy_meta (id, version, synced_at) VALUES (1, ?, ?)', s.version, now);
    });
  }

  /** Forgets the copy (tests; and the next call syncs in full). */
  clear(): void {
    this.#sql.exec('DELETE FROM copy_credentials; DELETE FROM copy_api_keys; DELETE FROM copy_meta;');
  }

  credentials(platform: string, tier: string): CopiedCredential[] {
    return this.#sql.exec('SELECT * FROM copy_credentials WHERE platform = ? AND tier = ? ORDER BY id', platform, tier).toArray().map(toCredential);
  }

  credential(id: number): CopiedCredential | null {
    const row = this.#sql.exec('SELECT * FROM copy_credentials WHERE id = ?', id).toArray()[0];
    return row ? toCredential(row) : null;
  }

  /** The pool deactivated a credential itself (D1 already says so). */
  deactivate(id: number): void {
    this.#sql.exec('UPDATE copy_credentials SET is_active = 0 WHERE id = ?', id);
  }

  apiKey(prefix: string): CopiedApiKey | null {
    const r = this.#sql.exec('SELECT * FROM copy_api_keys WHERE key_prefix = ?', prefix).toArray()[0];
    if (!r) return null;
    return {
      id: r.id as number,
      keyPrefix: r.key_prefix as string,
      keyHash: r.key_hash as string,
      scope: r.scope as ApiKeyScope,
      userId: (r.user_id as number | null) ?? null,
      revokedAt: (r.revoked_at as number | null) ?? null,
      expiresAt: (r.expires_at as number | null) ?? null,
      owner: r.owner_role === null ? null : { role: r.owner_role as Role, isActive: Boolean(r.owner_active) },
    };
  }

  // --- the usage outbox -------------------------------------------------------------

  credentialUsed(id: number, at: number): void {
    this.#sql.exec(
      `INSERT INTO outbox_credentials (id, used_at, errors, error_at) VALUES (?, ?, 0, NULL)
       ON CONFLICT (id) DO UPDATE SET used_at = MAX(COALESCE(used_at, 0), excluded.used_at)`,
      id, at,
    );
  }

  credentialFailed(id: number, at: number): void {
    this.#sql.exec(
      `INSERT INTO outbox_credentials (id, used_at, errors, error_at) VALUES (?, NULL, 1, ?)
       ON CONFLICT (id) DO UPDATE SET errors = errors + 1, error_at = MAX(COALESCE(error_at, 0), excluded.error_at)`,
      id, at,
    );
  }

  /** An admin reset the credential's errors in D1: errors still waiting here are dropped too. */
  forgetErrors(id: number): void {
    this.#sql.exec('UPDATE outbox_credentials SET errors = 0, error_at = NULL WHERE id = ?', id);
    this.#sql.exec('UPDATE outbox_inflight_credentials SET errors = 0, error_at = NULL WHERE id = ?', id);
  }

  apiKeyUsed(id: number, at: number): void {
    this.#sql.exec(
      'INSERT INTO outbox_api_keys (id, used_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET used_at = MAX(used_at, excluded.used_at)',
      id, at,
    );
  }

  /**
   * Moves the outbox to the in-flight tables and returns it (empty: nothing to
   * write). Call `flushed()` once D1 has it, or `flushFailed()` to put it back.
   */
  takeOutbox(): Outbox {
    return this.#storage.transactionSync(() => {
      this.#sql.exec(MERGE_CREDENTIALS('outbox_credentials', 'outbox_inflight_credentials'));
      this.#sql.exec(MERGE_API_KEYS('outbox_api_keys', 'outbox_inflight_api_keys'));
      this.#sql.exec('DELETE FROM outbox_credentials; DELETE FROM outbox_api_keys;');
      return this.#readOutbox('outbox_inflight_credentials', 'outbox_inflight_api_keys');
    });
  }

  flushed(): void {
    this.#sql.exec('DELETE FROM outbox_inflight_credentials; DELETE FROM outbox_inflight_api_keys;');
  }

  flushFailed(): void {
    this.#returnInflight();
  }

  #returnInflight(): void {
    this.#sql.exec(MERGE_CREDENTIALS('outbox_inflight_credentials', 'outbox_credentials'));
    this.#sql.exec(MERGE_API_KEYS('outbox_inflight_api_keys', 'outbox_api_keys'));
    this.#sql.exec('DELETE FROM outbox_inflight_credentials; DELETE FROM outbox_inflight_api_keys;');
  }

  /** Usage not yet in D1 (for tests and health). */
  pendingUsage(): Outbox {
    return this.#readOutbox('outbox_credentials', 'outbox_api_keys');
  }

  #readOutbox(credentials: string, apiKeys: string): Outbox {
    return {
      credentials: this.#sql.exec(`SELECT * FROM ${credentials} ORDER BY id`).toArray().map((r) => ({
        id: r.id as number,
        usedAt: (r.used_at as number | null) ?? null,
        errors: r.errors as number,
        errorAt: (r.error_at as number | null) ?? null,
      })),
      apiKeys: this.#sql.exec(`SELECT * FROM ${apiKeys} ORDER BY id`).toArray().map((r) => ({ id: r.id as number, usedAt: r.used_at as number })),
    };
  }
}
