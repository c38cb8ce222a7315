/**
 * The one client of the CredentialPool object: typed calls whose errors come
 * back as VaultErrors (codes, statuses, details and Retry-After intact), for
 * the REST routes, the RPC entrypoint, health, the KeyRotation object's
 * collection lock and the credential store's reset-errors. The object itself
 * is resolved in one place, lock-api.ts `poolStub` (tests use that raw stub).
 *
 * @example
 *   const lease = await pool(env).acquire(poolInput(AcquireBody, body), { apiKey });
 */
import type { Env } from '../env.ts';
import type { CredentialPoolNotifier } from '../credentials/store.ts';
import { poolStub, type PoolLockApi } from './lock-api.ts';
import { isVaultError, reviveVaultError } from '../errors.ts';
import { errorName, logContext, logLine, type LogContext } from '../kernel/log.ts';
import { poolUnavailable } from './copy-sync.ts';
import type { CredentialPool, PoolCaller, PoolRpcMethod, PoolSnapshot } from './durable-object.ts';
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
import type {
  AcquireRequest,
  CooldownRequest,
  CredentialMetadataRequest,
  ExpiresAtRequest,
  PoolInput,
  ReleaseRequest,
  RenewRequest,
  ReportErrorRequest,
  UpdateFieldsRequest,
} from './requests.ts';

/**
 * A pool error comes back as the VaultError it was; anything else (the object
 * could not be reached, was reset, failed unexpectedly) is logged by name and
 * answered as 503 POOL_UNAVAILABLE, never a 500 with the runtime's text.
 */
async function call<T>(p: Promise<T>, ctx: LogContext | null): Promise<T> {
  try {
    return await p;
  } catch (e) {
    const revived = reviveVaultError(e);
    if (isVaultError(revived)) throw revived;
    logLine('error', { event: 'pool.call_failed', code: errorName(e) }, ctx?.requestId ?? null);
    throw poolUnavailable();
  }
}

/**
 * `input`: the request parsed, or its problem (requests.ts poolInput); `caller`: a holder name the
 * Worker vouches for, or `{apiKey}` for the pool object to judge, before the input (PoolCaller).
 */
export interface PoolClient extends PoolLockApi {
  acquire(input: PoolInput<AcquireRequest>, caller: PoolCaller): Promise<Lease>;
  renew(input: PoolInput<RenewRequest>, caller: PoolCaller): Promise<LeaseRenewal>;
  release(input: PoolInput<ReleaseRequest>, caller: PoolCaller): Promise<LeaseEnd>;
  reportError(input: PoolInput<ReportErrorRequest>, caller: PoolCaller): Promise<ErrorReportResult>;
  /** Issue 21, by credential id (pool/by-id.ts); the caller is judged by the object before the request is served. */
  credentialMetadata(req: CredentialMetadataRequest, caller: PoolCaller): Promise<CredentialMetadataList>;
  credentialMetadataById(credentialId: number, caller: PoolCaller): Promise<CredentialMetadata>;
  setCooldown(credentialId: number, req: CooldownRequest, caller: PoolCaller): Promise<CooldownResult>;
  clearCooldown(credentialId: number, caller: PoolCaller): Promise<void>;
  setExpiresAt(credentialId: number, req: ExpiresAtRequest, caller: PoolCaller): Promise<ExpiresAtResult>;
  updateFields(req: UpdateFieldsRequest, caller: PoolCaller): Promise<FieldsUpdated>;
  /** The holder name of an authenticated caller, or the 401/403 the pool answers it. */
  authenticate(caller: PoolCaller): Promise<string>;
  /**
   * A write was committed in D1: the pool's working copy catches up before this answers
   * (pool/follow-writes.ts). True when it re-read; POOL_UNAVAILABLE when it could not confirm.
   */
  syncAfterWrite(): Promise<boolean>;
  resetErrors(credentialId: number): Promise<void>;
  snapshot(): Promise<PoolSnapshot>;
}

/**
 * The pool's lease, reset and snapshot methods; each rethrows pool errors as VaultErrors.
 * Every call goes through the object's `inContext` with the caller's log context
 * (kernel/log.ts), so the lines the object logs while serving it carry the request's id;
 * `fallback` is the context of a caller outside any (the service-binding entrypoint's own id).
 */
export function pool(env: Pick<Env, 'POOL'>, fallback: LogContext | null = null): PoolClient {
  const s = poolStub(env);
  const rpc = <K extends PoolRpcMethod>(method: K, ...args: Parameters<CredentialPool[K]>) => {
    const ctx = logContext() ?? fallback;
    return call(s.inContext(ctx, method, args), ctx) as Promise<Awaited<ReturnType<CredentialPool[K]>>>;
  };
  return {
    lock: (holder) => rpc('lock', holder),
    unlock: (holder) => rpc('unlock', holder),
    copyRotated: (holder, batch) => rpc('copyRotated', holder, batch),
    lockStatus: () => rpc('lockStatus'),
    acquire: (req, holder) => rpc('acquire', req, holder),
    renew: (req, holder) => rpc('renew', req, holder),
    release: (req, holder) => rpc('release', req, holder),
    reportError: (req, holder) => rpc('reportError', req, holder),
    credentialMetadata: (req, caller) => rpc('credentialMetadata', req, caller),
    credentialMetadataById: (id, caller) => rpc('credentialMetadataById', id, caller),
    setCooldown: (id, req, caller) => rpc('setCooldown', id, req, caller),
    clearCooldown: (id, caller) => rpc('clearCooldown', id, caller),
    setExpiresAt: (id, req, caller) => rpc('setExpiresAt', id, req, caller),
    updateFields: (req, caller) => rpc('updateFields', req, caller),
    authenticate: (caller) => rpc('authenticate', caller),
    syncAfterWrite: () => rpc('syncAfterWrite'),
    resetErrors: (id) => rpc('resetErrors', id),
    snapshot: () => rpc('snapshot'),
  };
}

/**
 * The credential store's pool notifier (handed over by the app's assembly,
 * src/index.ts): reset-errors clears the pool's cooldown and error streaks
 * for the credential, so it is leased again at once.
 */
export function credentialPoolNotifier(env: Pick<Env, 'POOL'>): CredentialPoolNotifier {
  return { credentialErrorsReset: (credentialId) => pool(env).resetErrors(credentialId) };
}
