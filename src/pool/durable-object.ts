/**
 * CredentialPool Durable Object (issue 5): the one object (named
 * POOL_OBJECT_NAME) that serialises leases, cooldowns, quota counters and the
 * collection lock, and serves them from a working copy of D1 (issue 14) that
 * fails closed (issue 19). This class only wires its parts together and
 * answers RPC; each part has one job and talks to the object only through a
 * narrow host interface it declares (as cloudflare/agents' AgentScheduler
 * does through its SchedulerHost); the one physical alarm is usage-flush.ts',
 * and the other parts ask it to wake (`wakeIn`):
 *
 * - object-schema.ts   the object's SQLite tables, versioned (`pool_schema`);
 * - copy-sync.ts       the sync queue and the "behind" state: the copy
 *                      follows D1, and a copy known to be behind grants nothing;
 * - usage-flush.ts     the alarm: usage back to D1, with a version check;
 * - caller-auth.ts     who is calling, judged against the copy (no D1);
 * - collection-lock.ts the rotation's lock;
 * - leases.ts          acquire, renew, release, report-error (with issue 21's
 *                      lease modes, exclusive/shared);
 * - by-id.ts           issue 21's operations by credential id (metadata,
 *                      cooldown by id, token expiry, update-fields);
 * with the storage in pool-store.ts, copy-store.ts and by-id-store.ts, and the
 * rules in lease-rules.ts.
 *
 * Every lease call takes the caller and its request (parsed, or its problem:
 * requests.ts PoolInput) in ONE call, and answers in this order: a copy never
 * read → 503; the caller's key → 401/403; the request → 400/422; then, for
 * acquire and renew (they hand something out), a copy behind → 503
 * POOL_UNAVAILABLE and the lock → 423. Release and report-error from the
 * lease's own holder are served even from a copy that is behind: they end
 * leases and hand out nothing. Acquire judges the caller again after every
 * await (leases.ts).
 *
 * The hot path never waits on D1: it reads only the copy, and D1 is read
 * only by syncs (copy-sync.ts) and the alarm. Expected failures are thrown as
 * VaultErrors; their properties cross RPC (see reviveVaultError in src/errors.ts).
 */
import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env.ts';
import { loadConfig } from '../config.ts';
import { apiRefusal } from '../kernel/principal.ts';
import { alarmLogContext, callInLogContext, errorName, log, withLogContext, type LogContext } from '../kernel/log.ts';
import type { LockStatus, PoolLockApi } from './lock-api.ts';
import type { CipherRewrite } from '../credentials/cipher-rewrite.ts';
import { PoolStore } from './pool-store.ts';
import { CopyStore, type Outbox } from './copy-store.ts';
import { copySource } from './faults.ts';
import { migratePoolObject } from './object-schema.ts';
import { CopySync, poolUnavailable } from './copy-sync.ts';
import { UsageFlush } from './usage-flush.ts';
import { judgeCaller, type PoolCaller } from './caller-auth.ts';
import { CollectionLock } from './collection-lock.ts';
import { Leases, leaseExpired, type CredentialPoolView } from './leases.ts';
import { UsageDayOutbox, type UsageDayFlush } from './usage-days.ts';
import { ByIdStore } from './by-id-store.ts';
import * as byId from './by-id.ts';
import {
  inputOrThrow,
  type AcquireRequest,
  type CooldownRequest,
  type CredentialMetadataRequest,
  type ExpiresAtRequest,
  type PoolInput,
  type ReleaseRequest,
  type RenewRequest,
  type ReportErrorRequest,
  type UpdateFieldsRequest,
} from './requests.ts';
import type {
  CooldownResult,
  CredentialMetadata,
  CredentialMetadataList,
  ErrorReportResult,
  ExpiresAtResult,
  FieldsUpdated,
  Lease,
  LeaseEnd,
  LeaseRenewal,
} from './types.ts';

export type { PoolCaller } from './caller-auth.ts';
export type { CredentialPoolView } from './leases.ts';
export { FLUSH_INTERVAL_MS } from './usage-flush.ts';
export { LOCKED_RETRY_AFTER_SECONDS } from './collection-lock.ts';

export interface PoolSnapshot {
  lock: LockStatus;
  /** Credentials the pool has any state for; absent ones are fresh (no cooldown, lease or use). */
  credentials: CredentialPoolView[];
  day: string;
  month: string;
  /** The copy may be behind a committed write: acquire and renew answer 503 until a sync succeeds. Additive. */
  copy_behind: boolean;
}

/** The methods the pool client (client.ts) calls, each through `inContext`. */
export const POOL_RPC_METHODS = [
  'lock',
  'unlock',
  'copyRotated',
  'lockStatus',
  'acquire',
  'renew',
  'release',
  'reportError',
  'credentialMetadata',
  'credentialMetadataById',
  'setCooldown',
  'clearCooldown',
  'setExpiresAt',
  'updateFields',
  'authenticate',
  'syncAfterWrite',
  'resetErrors',
  'snapshot',
] as const satisfies readonly (keyof CredentialPool)[];
export type PoolRpcMethod = (typeof POOL_RPC_METHODS)[number];
const RPC_METHODS: ReadonlySet<string> = new Set(POOL_RPC_METHODS);

export class CredentialPool extends DurableObject<Env> implements PoolLockApi {
  readonly #store: PoolStore;
  readonly #copy: CopyStore;
  readonly #byId: ByIdStore;
  readonly #sync: CopySync;
  readonly #flush: UsageFlush;
  readonly #lock: CollectionLock;
  readonly #leases: Leases;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    migratePoolObject(ctx.storage);
    const store = new PoolStore(ctx.storage.sql);
    const copy = new CopyStore(ctx.storage);
    const byIdStore = new ByIdStore(ctx.storage.sql);
    this.#store = store;
    this.#copy = copy;
    this.#byId = byIdStore;
    const usageDays = new UsageDayOutbox(ctx.storage.sql);
    const source = () => copySource(env.DB);
    // The usage per day (pool/usage-days.ts) rides in the same flush and the same D1 batch as the copy's outbox.
    let days: UsageDayFlush | null = null;
    const flush = new UsageFlush({
      setAlarm: (at) => void ctx.storage.setAlarm(at),
      takeOutbox: () => {
        days = usageDays.take(env.DB, Date.now());
        return copy.takeOutbox();
      },
      flushed: () => {
        copy.flushed();
        days?.done();
      },
      flushFailed: () => {
        copy.flushFailed();
        days?.failed();
      },
      writeUsage: (out) => source().writeUsage(out, days?.statements ?? []),
      versionSeen: (version) => this.#sync.versionSeen(version),
    });
    this.#flush = flush;
    this.#sync = new CopySync({ source, copy, sql: ctx.storage.sql, wakeIn: (ms) => flush.wakeIn(ms) });
    this.#lock = new CollectionLock({ store, resync: () => this.#sync.afterWrite() });
    this.#leases = new Leases({
      store,
      copy,
      byId: byIdStore,
      usageDays,
      ring: async () => (await loadConfig(env)).credentialKeys,
      refuseIfLocked: () => this.#lock.refuseIfLocked(),
      copyChanged: () => this.#sync.check().catch(() => false),
      deactivate: (id, reportedBy, now) => this.#deactivate(id, reportedBy, now),
    });
  }

  // --- the working copy (copy-sync.ts, usage-flush.ts) ---------------------------

  /**
   * A write was committed in D1: the copy catches up before the write answers
   * (pool/follow-writes.ts). True when it re-read; 503 POOL_UNAVAILABLE when it
   * could not confirm (the copy then refuses acquire and renew until a sync succeeds).
   */
  async syncAfterWrite(): Promise<boolean> {
    return this.#sync.afterWrite();
  }

  override async alarm(): Promise<void> {
    await withLogContext(alarmLogContext(), () => this.#flush.alarm());
  }

  /** Serves one of POOL_RPC_METHODS in the caller's log context: what the object logs meanwhile carries its request id. */
  async inContext(ctx: LogContext | null, method: PoolRpcMethod, args: unknown[]): Promise<unknown> {
    return callInLogContext(this, RPC_METHODS, ctx, method, args);
  }

  /** Usage not yet written back to D1 (health, tests). */
  async pendingUsage(): Promise<Outbox> {
    return this.#copy.pendingUsage();
  }

  // --- callers (caller-auth.ts) ----------------------------------------------------

  /**
   * The caller's lease-holder name, judged against the copy (401/403 as the
   * API's guard would answer). A key the copy does not know may have been
   * written to D1 since: one version check, on this path only; if the copy
   * is behind and D1 cannot say, that is a 503, not a 401.
   */
  async #authenticate(caller: PoolCaller): Promise<string> {
    const lookup = (prefix: string) => this.#copy.apiKey(prefix);
    let verdict = judgeCaller(caller, lookup, Date.now());
    if (!verdict.ok && verdict.unknown) {
      let changed = false;
      try {
        changed = await this.#sync.check();
      } catch (e) {
        if (this.#sync.behind()) throw e;
      }
      if (changed) verdict = judgeCaller(caller, lookup, Date.now());
    }
    if (!verdict.ok) throw verdict.unknown && this.#sync.behind() ? poolUnavailable() : verdict.refusal;
    if (verdict.apiKeyId !== null) this.#copy.apiKeyUsed(verdict.apiKeyId, Date.now());
    return verdict.holder;
  }

  /** Authenticates a caller without doing anything (the REST routes' refusal path: pool/routes.ts). */
  async authenticate(caller: PoolCaller): Promise<string> {
    await this.#sync.ready();
    return this.#authenticate(caller);
  }

  /** After an await: the caller still holds `holder`'s standing, and the copy is not known to be behind. No await. */
  #recheck(caller: PoolCaller, holder: string): void {
    const verdict = judgeCaller(caller, (prefix) => this.#copy.apiKey(prefix), Date.now());
    if (!verdict.ok) throw verdict.refusal;
    if (verdict.holder !== holder) throw apiRefusal(undefined, 'pool')!;
    this.#sync.assertNotBehind();
  }

  /** Every lease call's way in: the copy, the caller, the request; for calls that hand something out, the copy's standing. */
  async #enter<T>(caller: PoolCaller, input: PoolInput<T>, grants: boolean): Promise<{ holder: string; req: T }> {
    await this.#sync.ready();
    const holder = await this.#authenticate(caller);
    const req = inputOrThrow(input);
    if (grants) {
      await this.#sync.refuseIfBehind();
      this.#recheck(caller, holder);
    }
    this.#flush.used();
    return { holder, req };
  }

  // --- the collection lock (lock-api.ts, collection-lock.ts) -----------------------

  async lock(holder: string): Promise<LockStatus> {
    return this.#lock.lock(holder, Date.now());
  }

  /** Releases the lock, then checks the copy against D1's version (a full re-read only if the rotation changed it). */
  async unlock(holder: string): Promise<LockStatus> {
    return this.#lock.unlock(holder);
  }

  /** The lock holder's re-encrypted rows, already committed in D1 (lock-api.ts). */
  async copyRotated(holder: string, batch: CipherRewrite): Promise<boolean> {
    this.#lock.assertHeldBy(holder);
    return this.#copy.applyRotated(batch) === 0;
  }

  async lockStatus(): Promise<LockStatus> {
    return this.#lock.status(Date.now());
  }

  // --- leases (leases.ts) -----------------------------------------------------------

  async acquire(input: PoolInput<AcquireRequest>, caller: PoolCaller): Promise<Lease> {
    const { holder, req } = await this.#enter(caller, input, true);
    return this.#leases.acquire(req, holder, () => this.#recheck(caller, holder));
  }

  async renew(input: PoolInput<RenewRequest>, caller: PoolCaller): Promise<LeaseRenewal> {
    const { holder, req } = await this.#enter(caller, input, true);
    return this.#leases.renew(req, holder, Date.now());
  }

  /** Ends a lease that worked: reported units replace the one counted at acquire; error streaks end. */
  async release(input: PoolInput<ReleaseRequest>, caller: PoolCaller): Promise<LeaseEnd> {
    const { holder, req } = await this.#enter(caller, input, false);
    return this.#leases.release(req, holder, Date.now());
  }

  /** Ends a lease that failed: cooldown; the third auth failure in a row deactivates the credential in D1. */
  async reportError(input: PoolInput<ReportErrorRequest>, caller: PoolCaller): Promise<ErrorReportResult> {
    const { holder, req } = await this.#enter(caller, input, false);
    return this.#leases.reportError(req, holder, Date.now());
  }

  /** The credential deactivated in D1 with its audit event; 503 POOL_UNAVAILABLE (logged by name) when D1 fails. */
  async #deactivate(credentialId: number, reportedBy: string, now: number): Promise<void> {
    try {
      await copySource(this.env.DB).deactivateCredential(credentialId, reportedBy, now);
    } catch (e) {
      log.warn('pool.deactivate_failed', { credential_id: credentialId, code: errorName(e) });
      throw poolUnavailable();
    }
  }

  // --- for the credential store and health ---------------------------------------

  /** reset-errors: clears the cooldown and error streaks of one credential (leases and quota use stay). */
  async resetErrors(credentialId: number): Promise<void> {
    this.#leases.resetErrors(credentialId);
  }

  /** Everything health needs from the pool, in one call. */
  async snapshot(): Promise<PoolSnapshot> {
    const now = Date.now();
    return { lock: this.#lock.status(now), ...this.#leases.views(now), copy_behind: this.#sync.behind() };
  }

  // --- issue 21: operations by credential id (the steps: pool/by-id.ts) ---------------

  /** The copy and the caller, as for a lease call; then the stores the steps use. */
  async #byIdContext(caller: PoolCaller): Promise<byId.ByIdContext> {
    await this.#sync.ready();
    const holder = await this.#authenticate(caller);
    return { db: this.env.DB, store: this.#store, copy: this.#copy, byId: this.#byId, holder, now: Date.now() };
  }

  async credentialMetadata(req: CredentialMetadataRequest, caller: PoolCaller): Promise<CredentialMetadataList> {
    return byId.listMetadata(await this.#byIdContext(caller), req);
  }

  async credentialMetadataById(credentialId: number, caller: PoolCaller): Promise<CredentialMetadata> {
    return byId.readMetadata(await this.#byIdContext(caller), credentialId);
  }

  async setCooldown(credentialId: number, req: CooldownRequest, caller: PoolCaller): Promise<CooldownResult> {
    return byId.setCooldown(await this.#byIdContext(caller), credentialId, req);
  }

  async clearCooldown(credentialId: number, caller: PoolCaller): Promise<void> {
    byId.clearCooldown(await this.#byIdContext(caller), credentialId);
  }

  async setExpiresAt(credentialId: number, req: ExpiresAtRequest, caller: PoolCaller): Promise<ExpiresAtResult> {
    return byId.setExpiresAt(await this.#byIdContext(caller), credentialId, req);
  }

  /**
   * The holder of a live lease replaces the credential's fields; refused (423) while a rotation
   * holds the lock, and (503) while the copy is known to be behind (it reads the row from the copy).
   */
  async updateFields(req: UpdateFieldsRequest, caller: PoolCaller): Promise<FieldsUpdated> {
    const ctx = await this.#byIdContext(caller);
    await this.#sync.refuseIfBehind();
    this.#recheck(caller, ctx.holder);
    this.#flush.used();
    this.#lock.refuseIfLocked();
    const lease = this.#store.liveLease(req.lease_id, Date.now());
    if (!lease || lease.holder !== ctx.holder) throw leaseExpired();
    const ring = (await loadConfig(this.env)).credentialKeys;
    return byId.updateFields({ ...ctx, now: Date.now() }, lease, ring, req, () => this.#lock.refuseIfLocked());
  }
}
