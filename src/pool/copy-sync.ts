/**
 * How the pool's working copy follows D1, and what the pool knows about how
 * far behind it may be (issues 14 and 19). One job: the sync queue and the
 * "behind" state; the object (durable-object.ts) is its host.
 *
 * - A refresh reads D1's `pool_copy_version` and, when the copy was read at
 *   another one, re-reads the copy in full ('check'); a 'full' refresh
 *   re-reads it whatever the version. Refreshes run one at a time, and a
 *   request for one always gets one that STARTS after the request: callers
 *   share a refresh that is queued, never one that is already running (it may
 *   have read D1 before the caller's write committed).
 * - `afterWrite()` (every admin write request, pool/follow-writes.ts, and an
 *   unlock after a rotation): first records, in the object's SQLite
 *   (`copy_sync_state`), that a committed write is not confirmed yet, then
 *   refreshes. Only a refresh that started after the last such record clears
 *   it.
 * - Behind: the record is there and either its refresh failed, or this
 *   instance is fresh (the object was evicted or died with the record in
 *   place). A copy that is behind grants nothing new (`refuseIfBehind`, for
 *   acquire and renew): each refusal first tries one refresh, at most one per
 *   RETRY_MS, and answers 503 POOL_UNAVAILABLE if it fails. While a write's
 *   refresh is merely running, the copy is not behind (the write has not
 *   answered yet).
 * - A copy never read (a new object) cannot serve at all: `ready()` throws
 *   POOL_UNAVAILABLE until a full read succeeds.
 *
 * Failures are logged by name and answered as POOL_UNAVAILABLE; the D1
 * error's own message never leaves this module.
 */
import { VaultError } from '../errors.ts';
import { errorName, log } from '../kernel/log.ts';
import type { CopyStore } from './copy-store.ts';
import { pauseAt, type CopySource } from './faults.ts';

/** A refused collector retries after this many seconds. */
export const BEHIND_RETRY_AFTER_SECONDS = 5;
/** While behind, requests try a refresh at most this often (the others are refused at once). */
export const RETRY_MS = 1_000;
/** A refresh that failed or may not finish (the process could die) is tried again by an alarm this soon. */
const WATCHDOG_MS = 5_000;

export interface CopySyncHost {
  /** D1, read at each use (tests wrap it: faults.ts). */
  source(): CopySource;
  copy: CopyStore;
  sql: SqlStorage;
  /** An alarm within `ms`: the refresh is retried without traffic. */
  wakeIn(ms: number): void;
}

type Mode = 'check' | 'full';

interface Refresh {
  mode: Mode;
  promise: Promise<boolean>;
}

export function poolUnavailable(): VaultError {
  return new VaultError('POOL_UNAVAILABLE', 'The pool cannot confirm that its copy of the vault is current, so it hands out nothing new. Retry shortly.', {
    retryAfter: BEHIND_RETRY_AFTER_SECONDS,
  });
}

export class CopySync {
  readonly #host: CopySyncHost;
  /** A refresh asked for and not started yet: every caller until it starts shares it. */
  #queued: Refresh | null = null;
  /** The refresh running or queued last: the next one starts after it. */
  #last: Promise<unknown> = Promise.resolve();
  /** Writes recorded by this instance (afterWrite); a refresh clears the record only if none came after its start. */
  #writes = 0;
  /** The SQLite record: a committed write not yet confirmed in the copy. */
  #pending: boolean;
  #behind: boolean;
  #failedAt = -Infinity;
  /** This instance compared its copy with D1 once. */
  #checked = false;

  constructor(host: CopySyncHost) {
    this.#host = host;
    this.#pending = host.sql.exec('SELECT 1 FROM copy_sync_state WHERE id = 1').toArray().length > 0;
    // Left by an instance that is gone: its refresh failed, or it died before confirming.
    this.#behind = this.#pending;
  }

  /** The copy may be behind a committed write (health, tests). */
  behind(): boolean {
    return this.#behind;
  }

  /**
   * Before serving: a copy never read is read in full (or POOL_UNAVAILABLE); a
   * fresh instance checks its version once. That check failing does not stop
   * the request: `refuseIfBehind` decides, and the alarm checks again.
   */
  async ready(): Promise<void> {
    if (this.#host.copy.version() === null) {
      if (this.#recentlyFailed()) throw poolUnavailable();
      await this.#refresh('full');
      return;
    }
    if (this.#checked || this.#recentlyFailed()) return;
    try {
      await this.#refresh('check');
    } catch {
      // Logged by #run; behind or not, the state answers for the request.
    }
  }

  /** For acquire and renew: refuses (503) while the copy is behind, after one refresh attempt per RETRY_MS. */
  async refuseIfBehind(): Promise<void> {
    if (!this.#behind) return;
    if (this.#recentlyFailed()) throw poolUnavailable();
    await this.#refresh('check');
    if (this.#behind) throw poolUnavailable();
  }

  /** The same, without an attempt (no await): after a request's own awaits. */
  assertNotBehind(): void {
    if (this.#behind) throw poolUnavailable();
  }

  /**
   * A write committed in D1 (before this call): the copy catches up before
   * the write answers. True when it re-read; POOL_UNAVAILABLE when it could
   * not confirm, and the copy is behind from then on.
   */
  afterWrite(): Promise<boolean> {
    this.#writes++;
    if (!this.#pending) {
      this.#host.sql.exec('INSERT OR REPLACE INTO copy_sync_state (id, pending_since) VALUES (1, ?)', Date.now());
      this.#pending = true;
    }
    const refresh = this.#refresh('check');
    void pauseAt('sync.requested'); // observed by tests (faults.ts); null in production
    return refresh;
  }

  /**
   * An opportunistic check (an unknown key, an empty choice): true when the
   * copy changed. Throws POOL_UNAVAILABLE when D1 cannot be read, or could
   * not within the last RETRY_MS (then without trying).
   */
  check(): Promise<boolean> {
    if (this.#recentlyFailed()) return Promise.reject(poolUnavailable());
    return this.#refresh('check');
  }

  /** D1's version as the alarm's flush read it: the copy follows if it differs (or a record waits for confirmation). */
  async versionSeen(version: number): Promise<void> {
    if (version !== this.#host.copy.version()) await this.#refresh('full');
    else if (this.#pending) await this.#refresh('check');
  }

  #recentlyFailed(): boolean {
    return Date.now() - this.#failedAt < RETRY_MS;
  }

  /** A refresh that starts after this call (shared with every caller until it starts). */
  #refresh(mode: Mode): Promise<boolean> {
    const queued = this.#queued;
    if (queued) {
      if (mode === 'full') queued.mode = 'full';
      return queued.promise;
    }
    const refresh: Refresh = { mode, promise: undefined! };
    refresh.promise = this.#last.then(() => {
      this.#queued = null;
      return this.#run(refresh.mode);
    });
    this.#queued = refresh;
    this.#last = refresh.promise.catch(() => undefined);
    return refresh.promise;
  }

  async #run(mode: Mode): Promise<boolean> {
    const writesBefore = this.#writes;
    const { copy } = this.#host;
    try {
      const source = this.#host.source();
      let synced = false;
      if (mode === 'full' || copy.version() === null || (await source.readVersion()) !== copy.version()) {
        // If the process dies before the copy is replaced, this alarm finds the copy behind and syncs again.
        this.#host.wakeIn(WATCHDOG_MS);
        log.info('pool.sync', { phase: 'start', copy_version: copy.version() });
        const result = await source.syncCopy(copy, Date.now());
        log.info('pool.sync', { phase: 'done', copy_version: result.version, credentials: result.credentials, api_keys: result.apiKeys });
        synced = true;
      }
      this.#checked = true;
      this.#failedAt = -Infinity;
      if (this.#pending && this.#writes === writesBefore) {
        this.#host.sql.exec('DELETE FROM copy_sync_state');
        this.#pending = false;
        this.#behind = false;
      }
      return synced;
    } catch (e) {
      this.#failedAt = Date.now();
      if (this.#pending) {
        this.#behind = true;
        this.#host.wakeIn(WATCHDOG_MS);
      }
      log.warn('pool.sync_failed', { mode, code: errorName(e), behind: this.#behind, copy_version: copy.version() });
      throw poolUnavailable();
    }
  }
}
