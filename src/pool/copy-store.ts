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
 *
 * Memory in front of SQLite (the hot path runs no statement for its reads;
 * the copy is read whole, so its platform/tier index is dropped):
 * - the copy and its version are read from SQLite once per instance and kept
 *   in memory; every write to them goes through this class, which writes
 *   SQLite and memory together (the object is the only writer);
 * - usage times are coalesced: the first use of a credential or key after a
 *   flush, and then at most one per USAGE_PERSIST_MS, is written to the SQLite
 *   outbox; later times wait in memory and join the outbox when it is taken.
 *   So every id with usage pending has its outbox row, and a crash loses at
 *   most USAGE_PERSIST_MS of a last_used_at, never a use or an error count
 *   (errors are written at once).
 */
import type { ApiKeyScope, Role } from '../auth/principal.ts';
import type { PoolCopyCredentialRow } from '../credentials/repository.ts';

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

/** A usage time waits in memory at most this long before it is also in the SQLite outbox. */
export const USAGE_PERSIST_MS = 1_000;

/** The copy as memory holds it: by pool (platform and tier, ordered by id) and by id. */
interface CopyInMemory {
  version: number | null;
  byPool: Map<string, CopiedCredential[]>;
  byId: Map<number, CopiedCredential>;
  apiKeys: Map<string, CopiedApiKey>;
}

const poolKey = (platform: string, tier: string): string => `${platform}\n${tier}`;

function indexCopy(version: number | null, credentials: CopiedCredential[], apiKeys: CopiedApiKey[]): CopyInMemory {
  const byPool = new Map<string, CopiedCredential[]>();
  const byId = new Map<number, CopiedCredential>();
  for (const c of [...credentials].sort((a, b) => a.id - b.id)) {
    byId.set(c.id, c);
    const k = poolKey(c.platform, c.tier);
    const list = byPool.get(k);
    if (list) list.push(c);
    else byPool.set(k, [c]);
  }
  return { version, byPool, byId, apiKeys: new Map(apiKeys.map((k) => [k.keyPrefix, k])) };
}

function toApiKey(r: Row): CopiedApiKey {
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

/** Usage times of one kind waiting in memory, and when each id last reached the SQLite outbox. */
class CoalescedUse {
  readonly #pending = new Map<number, number>();
  readonly #persistedAt = new Map<number, number>();

  /** True when `at` must be written to SQLite now (first use since the flush, or the last write is old enough). */
  record(id: number, at: number): boolean {
    const persisted = this.#persistedAt.get(id);
    if (persisted === undefined || at - persisted >= USAGE_PERSIST_MS) {
      this.#persistedAt.set(id, at);
      this.#pending.delete(id);
      return true;
    }
    this.#pending.set(id, Math.max(this.#pending.get(id) ?? 0, at));
    return false;
  }

  /** The times waiting in memory, forgotten here (the caller writes them); the next use persists again. */
  drain(): [number, number][] {
    const out = [...this.#pending];
    this.#pending.clear();
    this.#persistedAt.clear();
    return out;
  }
}

/** A copied credential from its columns, as D1 answers them and as the copy's own table holds them. */
export function copiedCredential(r: PoolCopyCredentialRow): CopiedCredential {
  return {
    id: r.id,
    platform: r.platform,
    tier: r.tier,
    encryptedValue: r.encrypted_value,
    keyId: r.key_id,
    isActive: Boolean(r.is_active),
    dailyQuota: r.daily_quota ?? null,
    monthlyQuota: r.monthly_quota ?? null,
    maxLeases: r.max_leases ?? null,
    lastUsedAt: r.last_used_at ?? null,
  };
}

export class CopyStore {
  readonly #storage: DurableObjectStorage;
  readonly #sql: SqlStorage;
  #memory: CopyInMemory | null = null;
  readonly #credentialUse = new CoalescedUse();
  readonly #apiKeyUse = new CoalescedUse();

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    this.#sql = storage.sql; // already migrated: the tables' DDL is in object-schema.ts
    // A flush that never came back (the object died on the way): its usage goes out again with the next one.
    this.#returnInflight();
  }

  // --- the copy -----------------------------------------------------------------

  /** The copy, read from SQLite once per instance. */
  #copy(): CopyInMemory {
    if (this.#memory) return this.#memory;
    const meta = this.#sql.exec('SELECT version FROM copy_meta WHERE id = 1').toArray()[0];
    const credentials = this.#sql.exec('SELECT * FROM copy_credentials').toArray().map((r) => copiedCredential(r as unknown as PoolCopyCredentialRow));
    const apiKeys = this.#sql.exec('SELECT * FROM copy_api_keys').toArray().map(toApiKey);
    return (this.#memory = indexCopy(meta ? (meta.version as number) : null, credentials, apiKeys));
  }

  /** The D1 version the copy was read at, or null when it was never synced. */
  version(): number | null {
    return this.#copy().version;
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
    this.#memory = indexCopy(s.version, s.credentials, s.apiKeys);
  }

  /** The credentials of one pool, ordered by id (shared: callers must not change them). */
  credentials(platform: string, tier: string): readonly CopiedCredential[] {
    return this.#copy().byPool.get(poolKey(platform, tier)) ?? [];
  }

  credential(id: number): CopiedCredential | null {
    return this.#copy().byId.get(id) ?? null;
  }

  /** The pool deactivated a credential itself (D1 already says so). */
  deactivate(id: number): void {
    this.#sql.exec('UPDATE copy_credentials SET is_active = 0 WHERE id = ?', id);
    const copy = this.#copy();
    const c = copy.byId.get(id);
    if (!c) return;
    const off = { ...c, isActive: false };
    copy.byId.set(id, off);
    const list = copy.byPool.get(poolKey(c.platform, c.tier))!;
    list[list.indexOf(c)] = off;
  }

  apiKey(prefix: string): CopiedApiKey | null {
    return this.#copy().apiKeys.get(prefix) ?? null;
  }

  // --- the usage outbox -------------------------------------------------------------

  credentialUsed(id: number, at: number): void {
    if (this.#credentialUse.record(id, at)) this.#writeCredentialUse(id, at);
  }

  #writeCredentialUse(id: number, at: number): void {
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
    if (this.#apiKeyUse.record(id, at)) this.#writeApiKeyUse(id, at);
  }

  #writeApiKeyUse(id: number, at: number): void {
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
      this.#persistPendingUse();
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
    this.#persistPendingUse();
    return this.#readOutbox('outbox_credentials', 'outbox_api_keys');
  }

  /** The usage times waiting in memory go into the SQLite outbox. */
  #persistPendingUse(): void {
    for (const [id, at] of this.#credentialUse.drain()) this.#writeCredentialUse(id, at);
    for (const [id, at] of this.#apiKeyUse.drain()) this.#writeApiKeyUse(id, at);
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
