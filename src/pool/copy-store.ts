/**
 * The CredentialPool's working copy of D1 and its usage outbox, in the
 * object's own SQLite storage (synchronous, like pool-store.ts). The hot path
 * (acquire, renew, release, report-error) reads only these tables, never D1.
 *
 * Tables (times unix ms):
 *   copy_credentials(id, platform, tier, encrypted_value, key_id, is_active, quotas, max_leases, last_used_at, sharing)
 *   copy_api_keys(key_prefix, id, key_hash, scope, user_id, revoked_at, expires_at, owner_role, owner_active)
 *   copy_meta(version, synced_at)       the D1 `pool_copy_version` the copy was read at; no row = never synced
 *   copy_credentials_next               a sync's pages, until it commits
 *   outbox_credentials(id, used_at, errors, error_at)   usage not yet written back to D1
 *   outbox_api_keys(id, used_at)
 *   outbox_inflight_*                   the same, while a flush is on its way to D1
 *
 * A sync writes D1's rows page by page into a staging table
 * (`beginReplace` / `addCredentialsPage`), then `commitReplace` swaps it in
 * with the keys and the version in one SQLite transaction, so a crash in the
 * middle leaves the previous copy and its previous version: the version check
 * then finds the copy behind and syncs again (docs/data-model.md). No step
 * holds the whole table in memory.
 *
 * A key rotation does not make the copy re-read: its rewrites keep D1's
 * version (migration 0060's switch, on only inside the rotation's own
 * compare-and-set transaction), and the rotation hands each committed batch
 * to `applyRotated`, which does the same compare-and-set here. A batch that
 * arrives while a sync is staging is also kept until `commitReplace`, which
 * applies it to the staged rows too: a page read before that batch committed
 * in D1 still holds the old ciphertext.
 *
 * Memory in front of SQLite (the object is the only writer of these tables,
 * and every write goes through this class, which updates both):
 * - the version and the API keys are read once per instance;
 * - credentials are held per pool (platform and tier), loaded from SQLite
 *   through the index on (platform, tier, id) the first time that pool is
 *   asked for after a start or a sync, so memory grows with the pools in use,
 *   not with the table, and choosing never scans other pools' rows;
 * - a credential's ciphertext stays in SQLite until an acquire reads it (one
 *   point read, kept on that row object: a row replaced by a sync is a new
 *   object, so a check after an await compares old and new exactly);
 * - usage times are coalesced: the first use of a credential or key after a
 *   flush, and then at most one per USAGE_PERSIST_MS, is written to the SQLite
 *   outbox; later times wait in memory and join the outbox when it is taken.
 *   So every id with usage pending has its outbox row, and a crash loses at
 *   most USAGE_PERSIST_MS of a last_used_at, never a use or an error count
 *   (errors are written at once).
 */
import type { ApiKeyScope, Role } from '../kernel/principal.ts';
import type { PoolCopyCredentialRow } from '../credentials/repository.ts';
import { DEFAULT_SHARING, type Sharing } from '../credentials/sharing.ts';
import { cipherRewriteSql, type CipherRewrite } from '../credentials/cipher-rewrite.ts';

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
  /** May the pool grant shared leases on it (issue 21, migration 0070). */
  sharing: Sharing;
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

/** The copy as memory holds it: the version, the keys, and the credentials of the pools asked for so far. */
interface CopyInMemory {
  version: number | null;
  pools: Map<string, CopiedCredential[]>;
  byId: Map<number, CopiedCredential>;
  apiKeys: Map<string, CopiedApiKey>;
}

const poolKey = (platform: string, tier: string): string => `${platform}\n${tier}`;

/** The columns memory holds (never the ciphertext: see `MemoryCredential`). */
/** Every stored column, in the order of poolCopyCredentialsPageStatement's JSON arrays. */
const STORED_COLUMNS = 'id, platform, tier, encrypted_value, key_id, is_active, daily_quota, monthly_quota, max_leases, last_used_at, sharing';
const CREDENTIAL_COLUMNS = 'id, platform, tier, key_id, is_active, daily_quota, monthly_quota, max_leases, last_used_at, sharing';

/** A copied credential whose ciphertext is read from SQLite on first use, then kept with the object. */
class MemoryCredential implements CopiedCredential {
  readonly id: number;
  readonly platform: string;
  readonly tier: string;
  readonly keyId: string;
  readonly isActive: boolean;
  readonly dailyQuota: number | null;
  readonly monthlyQuota: number | null;
  readonly maxLeases: number | null;
  readonly lastUsedAt: number | null;
  readonly sharing: Sharing;
  #sealed: string | undefined;
  readonly #read: (id: number) => string;

  constructor(r: Omit<CopiedCredential, 'encryptedValue'>, read: (id: number) => string, sealed?: string) {
    this.id = r.id;
    this.platform = r.platform;
    this.tier = r.tier;
    this.keyId = r.keyId;
    this.isActive = r.isActive;
    this.dailyQuota = r.dailyQuota;
    this.monthlyQuota = r.monthlyQuota;
    this.maxLeases = r.maxLeases;
    this.lastUsedAt = r.lastUsedAt;
    this.sharing = r.sharing;
    this.#read = read;
    this.#sealed = sealed;
  }

  get encryptedValue(): string {
    this.#sealed ??= this.#read(this.id);
    return this.#sealed;
  }

  /** The same row with `changes` (its ciphertext, if read and not replaced, comes along). */
  with(changes: Partial<CopiedCredential>): MemoryCredential {
    const { encryptedValue, ...rest } = changes;
    return new MemoryCredential({ ...this, ...rest }, this.#read, encryptedValue ?? this.#sealed);
  }

  /** The same row under another key, its new ciphertext left in SQLite until it is read. */
  resealed(keyId: string): MemoryCredential {
    return new MemoryCredential({ ...this, keyId }, this.#read);
  }
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
    sharing: r.sharing ?? DEFAULT_SHARING,
  };
}

/** Where credential `id` sits in a pool's list, which is ordered by id (a binary search: a rotation replaces every row). */
function positionOf(list: readonly CopiedCredential[], id: number): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = list[mid]!.id;
    if (at === id) return mid;
    if (at < id) lo = mid + 1;
    else hi = mid - 1;
  }
  throw new Error('copied credential missing from its pool');
}

export class CopyStore {
  readonly #storage: DurableObjectStorage;
  readonly #sql: SqlStorage;
  #memory: CopyInMemory | null = null;
  /** Rotated rows that arrived since `beginReplace` (null: no sync is staging); `commitReplace` applies them to the staged rows. */
  #rotatedWhileStaging: CipherRewrite[] | null = null;
  readonly #credentialUse = new CoalescedUse();
  readonly #apiKeyUse = new CoalescedUse();

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    this.#sql = storage.sql; // already migrated: the tables' DDL is in object-schema.ts
    // A flush that never came back (the object died on the way): its usage goes out again with the next one.
    this.#returnInflight();
  }

  // --- the copy -----------------------------------------------------------------

  /** The version and the keys, read from SQLite once per instance; pools come later, as asked for. */
  #copy(): CopyInMemory {
    if (this.#memory) return this.#memory;
    const meta = this.#sql.exec('SELECT version FROM copy_meta WHERE id = 1').toArray()[0];
    const apiKeys = this.#sql.exec('SELECT * FROM copy_api_keys').toArray().map(toApiKey);
    this.#memory = {
      version: meta ? (meta.version as number) : null,
      pools: new Map(),
      byId: new Map(),
      apiKeys: new Map(apiKeys.map((k) => [k.keyPrefix, k])),
    };
    return this.#memory;
  }

  #sealedOf = (id: number): string => {
    const r = this.#sql.exec('SELECT encrypted_value FROM copy_credentials WHERE id = ?', id).toArray()[0];
    // Gone from the table since memory was filled: only a sync does that, and it renews memory too.
    if (!r) throw new Error('copied credential row missing');
    return r.encrypted_value as string;
  };

  #fromRow(r: Row): MemoryCredential {
    const { encryptedValue: _, ...rest } = copiedCredential({ ...(r as unknown as PoolCopyCredentialRow), encrypted_value: '' });
    return new MemoryCredential(rest, this.#sealedOf);
  }

  /** The D1 version the copy was read at, or null when it was never synced. */
  version(): number | null {
    return this.#copy().version;
  }

  /** Starts a sync: empties the staging table. */
  beginReplace(): void {
    this.#sql.exec('DELETE FROM copy_credentials_next');
    this.#rotatedWhileStaging = [];
  }

  /** One page of D1 rows (credentials/repository.ts poolCopyCredentialsPageStatement's JSON text) into the staging table. */
  addCredentialsPage(rowsJson: string): void {
    this.#sql.exec(
      `INSERT INTO copy_credentials_next (${STORED_COLUMNS})
       SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'), json_extract(value, '$[4]'),
              json_extract(value, '$[5]'), json_extract(value, '$[6]'), json_extract(value, '$[7]'), json_extract(value, '$[8]'), json_extract(value, '$[9]'),
              coalesce(json_extract(value, '$[10]'), '${DEFAULT_SHARING}')
       FROM json_each(?)`,
      rowsJson,
    );
  }

  /** Swaps the staged credentials in, with the keys and the version they were read at, in one transaction. */
  commitReplace(version: number, apiKeys: CopiedApiKey[], now: number): void {
    this.#storage.transactionSync(() => {
      this.#sql.exec('DELETE FROM copy_credentials');
      this.#sql.exec(`INSERT INTO copy_credentials (${STORED_COLUMNS}) SELECT ${STORED_COLUMNS} FROM copy_credentials_next`);
      this.#sql.exec('DELETE FROM copy_credentials_next');
      for (const rows of this.#rotatedWhileStaging ?? []) this.#rotateRows(rows);
      this.#sql.exec('DELETE FROM copy_api_keys');
      for (const k of apiKeys) {
        this.#sql.exec(
          `INSERT INTO copy_api_keys (key_prefix, id, key_hash, scope, user_id, revoked_at, expires_at, owner_role, owner_active)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          k.keyPrefix,
          k.id,
          k.keyHash,
          k.scope,
          k.userId,
          k.revokedAt,
          k.expiresAt,
          k.owner?.role ?? null,
          k.owner === null ? null : k.owner.isActive ? 1 : 0,
        );
      }
      this.#sql.exec('INSERT OR REPLACE INTO copy_meta (id, version, synced_at) VALUES (1, ?, ?)', version, now);
    });
    this.#rotatedWhileStaging = null;
    this.#memory = { version, pools: new Map(), byId: new Map(), apiKeys: new Map(apiKeys.map((k) => [k.keyPrefix, k])) };
  }

  /**
   * A key rotation's committed batch (see the header): each row takes its new
   * ciphertext only if it still holds the one the rotation read, as in D1
   * (credentials/cipher-rewrite.ts: the same JSON and the same extraction).
   * Answers how many rows did not match: then the copy may have missed an
   * earlier batch, and the rotation makes it re-read. A copy never read holds
   * nothing stale (it will read D1 in full): 0.
   */
  applyRotated(batch: CipherRewrite): number {
    this.#rotatedWhileStaging?.push(batch);
    if (this.version() === null) return 0;
    const changed = this.#rotateRows(batch);
    // A row in memory forgets its old ciphertext (it is read again from SQLite when an acquire needs it).
    for (const id of changed) this.#replaceInMemory(id, (c) => c.resealed(batch.toKeyId));
    return batch.count - changed.length;
  }

  /** The compare-and-set in one statement, the JSON handed to SQLite as is; the ids it changed. */
  #rotateRows(batch: CipherRewrite): number[] {
    return this.#sql
      .exec<{ id: number }>(`${cipherRewriteSql('copy_credentials', '?1', '?2')} RETURNING copy_credentials.id AS id`, batch.rows, batch.toKeyId)
      .toArray()
      .map((r) => r.id);
  }

  /** Replaces the whole copy and its version, atomically (a snapshot already in memory: tests, small copies). */
  replaceAll(s: Snapshot, now: number): void {
    this.beginReplace();
    this.addCredentialsPage(
      JSON.stringify(
        s.credentials.map((c) => [
          c.id,
          c.platform,
          c.tier,
          c.encryptedValue,
          c.keyId,
          c.isActive ? 1 : 0,
          c.dailyQuota,
          c.monthlyQuota,
          c.maxLeases,
          c.lastUsedAt,
        ]),
      ),
    );
    this.commitReplace(s.version, s.apiKeys, now);
  }

  /** The credentials of one pool, ordered by id (shared: callers must not change them); read through the pool index once. */
  credentials(platform: string, tier: string): readonly CopiedCredential[] {
    const copy = this.#copy();
    const k = poolKey(platform, tier);
    let list = copy.pools.get(k);
    if (!list) {
      list = this.#sql
        .exec(`SELECT ${CREDENTIAL_COLUMNS} FROM copy_credentials WHERE platform = ? AND tier = ? ORDER BY id`, platform, tier)
        .toArray()
        .map((r) => this.#fromRow(r));
      for (const c of list) copy.byId.set(c.id, c);
      copy.pools.set(k, list);
    }
    return list;
  }

  credential(id: number): CopiedCredential | null {
    const copy = this.#copy();
    const held = copy.byId.get(id);
    if (held) return held;
    const r = this.#sql.exec(`SELECT ${CREDENTIAL_COLUMNS} FROM copy_credentials WHERE id = ?`, id).toArray()[0];
    return r ? this.#fromRow(r) : null;
  }

  /** The pool deactivated a credential itself (D1 already says so). */
  deactivate(id: number): void {
    this.#sql.exec('UPDATE copy_credentials SET is_active = 0 WHERE id = ?', id);
    this.#replaceInMemory(id, (c) => c.with({ isActive: false }));
  }

  /** A lease holder replaced the credential's fields (D1 already has them: pool/update-fields.ts). */
  replaceSecret(id: number, encryptedValue: string, keyId: string): void {
    this.#sql.exec('UPDATE copy_credentials SET encrypted_value = ?, key_id = ? WHERE id = ?', encryptedValue, keyId, id);
    this.#replaceInMemory(id, (c) => c.with({ encryptedValue, keyId }));
  }

  #replaceInMemory(id: number, change: (c: MemoryCredential) => MemoryCredential): void {
    const copy = this.#copy();
    const c = copy.byId.get(id) as MemoryCredential | undefined;
    if (!c) return;
    const next = change(c);
    copy.byId.set(id, next);
    const list = copy.pools.get(poolKey(c.platform, c.tier))!;
    list[positionOf(list, id)] = next;
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
      id,
      at,
    );
  }

  credentialFailed(id: number, at: number): void {
    this.#sql.exec(
      `INSERT INTO outbox_credentials (id, used_at, errors, error_at) VALUES (?, NULL, 1, ?)
       ON CONFLICT (id) DO UPDATE SET errors = errors + 1, error_at = MAX(COALESCE(error_at, 0), excluded.error_at)`,
      id,
      at,
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
    this.#sql.exec('INSERT INTO outbox_api_keys (id, used_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET used_at = MAX(used_at, excluded.used_at)', id, at);
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
      credentials: this.#sql
        .exec(`SELECT * FROM ${credentials} ORDER BY id`)
        .toArray()
        .map((r) => ({
          id: r.id as number,
          usedAt: (r.used_at as number | null) ?? null,
          errors: r.errors as number,
          errorAt: (r.error_at as number | null) ?? null,
        })),
      apiKeys: this.#sql
        .exec(`SELECT * FROM ${apiKeys} ORDER BY id`)
        .toArray()
        .map((r) => ({ id: r.id as number, usedAt: r.used_at as number })),
    };
  }
}
