/**
 * The pool's alarm (one job): while the pool is in use, its coalesced usage
 * (last_used_at of credentials and keys, error counts: copy-store.ts outbox)
 * goes back to D1 at most every FLUSH_INTERVAL_MS, in one batch that also
 * reads D1's `pool_copy_version`, so the copy is checked for free
 * (copy-sync.ts `versionSeen`). The object (durable-object.ts) is the host.
 */
import type { Outbox } from './copy-store.ts';
import { errorName, log } from '../kernel/log.ts';

/** While the pool is in use, usage goes back to D1 (and the copy's version is checked) at most this often. */
export const FLUSH_INTERVAL_MS = 5_000;

export interface UsageFlushHost {
  setAlarm(at: number): void;
  takeOutbox(): Outbox;
  flushed(): void;
  flushFailed(): void;
  /** Writes the usage and answers D1's version, in one batch. */
  writeUsage(out: Outbox): Promise<number>;
  versionSeen(version: number): Promise<void>;
}

export class UsageFlush {
  readonly #host: UsageFlushHost;
  /** An alarm this instance set is pending. */
  #alarmPending = false;
  /** The hot path ran since the last alarm. */
  #usedSinceAlarm = false;

  constructor(host: UsageFlushHost) {
    this.#host = host;
  }

  /** Every hot-path call: an alarm will write the usage back and check the version. */
  used(): void {
    this.#usedSinceAlarm = true;
    if (!this.#alarmPending) this.wakeIn(FLUSH_INTERVAL_MS);
  }

  /** An alarm within `ms`, unless one is pending already. */
  wakeIn(ms: number): void {
    if (this.#alarmPending) return;
    this.#alarmPending = true;
    this.#host.setAlarm(Date.now() + ms);
  }

  /**
   * The alarm: flush, follow the version, re-arm while the pool is in use.
   * A failure (D1 unreadable) is logged by name and tried again in
   * FLUSH_INTERVAL_MS, by this alarm itself rather than the runtime's limited
   * retries: the usage waits in the outbox, and a copy that is behind
   * (copy-sync.ts) keeps being retried without traffic.
   */
  async alarm(): Promise<void> {
    this.#alarmPending = false;
    const used = this.#usedSinceAlarm;
    this.#usedSinceAlarm = false;
    const out = this.#host.takeOutbox();
    let failed = false;
    let version: number | null = null;
    try {
      version = await this.#host.writeUsage(out);
      this.#host.flushed();
    } catch (e) {
      failed = true;
      this.#host.flushFailed();
      log.warn('pool.flush_failed', { code: errorName(e) });
    }
    if (version !== null) {
      try {
        await this.#host.versionSeen(version);
      } catch {
        failed = true; // logged by copy-sync.ts
      }
    }
    if (failed || used || this.#usedSinceAlarm) this.wakeIn(FLUSH_INTERVAL_MS);
  }
}
