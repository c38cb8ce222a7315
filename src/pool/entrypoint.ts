/**
 * PoolEntrypoint: the pool for collector Workers on a service binding
 * (`[[services]] binding = "VAULT_POOL", service = "arena-vault", entrypoint = "PoolEntrypoint"`).
 * Same inputs (parsed by requests.ts poolInput), checks and errors as the REST routes; the service binding
 * itself is the credential, so every lease it takes is held by
 * `service_binding` (a lease taken here is renewed and released here).
 * Errors arrive as Errors carrying `code`, `status`, `details` and
 * `retryAfter` (enhanced error serialization, compatibility date ≥ 2026-04-21).
 *
 * @example
 *   const lease = await env.VAULT_POOL.acquire({ platform: 'serper', tier: 'medium', task_id: 'q-42' });
 *   try { await search(lease.fields.api_key); await env.VAULT_POOL.release(lease.lease_id, { units_used: 1 }); }
 *   catch { await env.VAULT_POOL.report_error(lease.lease_id, { kind: 'rate_limited' }); }
 */
import { WorkerEntrypoint } from 'cloudflare:workers';
import type { Env } from '../env.ts';
import { pool } from './client.ts';
import type {
  AcquireInput,
  CooldownResult,
  CredentialMetadata,
  CredentialMetadataList,
  ErrorReportResult,
  ExpiresAtResult,
  FieldsUpdated,
  Lease,
  LeaseEnd,
  LeaseRenewal,
  PoolService,
} from './types.ts';
import {
  AcquireBody,
  CooldownBody,
  CredentialIdInput,
  CredentialMetadataQuery,
  ExpiresAtBody,
  poolInput,
  ReleaseBody,
  RenewBody,
  ReportErrorBody,
  UpdateFieldsBody,
} from './requests.ts';
import { parseOrThrow } from '../schema/validate.ts';

export const SERVICE_BINDING_HOLDER = 'service_binding';

/** Its types, for collectors: `PoolService` in ./types.ts. */
export class PoolEntrypoint extends WorkerEntrypoint<Env> implements PoolService {
  /** The pool client for one call, under an id of its own (`rpc-<uuid>`): no request of the vault is behind it. */
  #pool() {
    return pool(this.env, { requestId: `rpc-${crypto.randomUUID()}` });
  }

  async acquire(input: AcquireInput): Promise<Lease> {
    return this.#pool().acquire(poolInput(AcquireBody, input), SERVICE_BINDING_HOLDER);
  }

  async renew(lease_id: string, opts: { ttl_seconds?: number } = {}): Promise<LeaseRenewal> {
    return this.#pool().renew(poolInput(RenewBody, { ...opts, lease_id }), SERVICE_BINDING_HOLDER);
  }

  async release(lease_id: string, opts: { units_used?: number } = {}): Promise<LeaseEnd> {
    return this.#pool().release(poolInput(ReleaseBody, { ...opts, lease_id }), SERVICE_BINDING_HOLDER);
  }

  async report_error(lease_id: string, opts: { kind: string; retry_after?: number; units_used?: number }): Promise<ErrorReportResult> {
    return this.#pool().reportError(poolInput(ReportErrorBody, { ...opts, lease_id }), SERVICE_BINDING_HOLDER);
  }

  // Issue 21, by credential id (pool/by-id.ts).

  async credentials(platform: string, tier: string): Promise<CredentialMetadataList> {
    return this.#pool().credentialMetadata(parseOrThrow(CredentialMetadataQuery, { platform, tier }), SERVICE_BINDING_HOLDER);
  }

  async credential(credential_id: number): Promise<CredentialMetadata> {
    return this.#pool().credentialMetadataById(credentialIdOf(credential_id), SERVICE_BINDING_HOLDER);
  }

  async cooldown(credential_id: number, opts: { seconds: number; reason: string }): Promise<CooldownResult> {
    return this.#pool().setCooldown(credentialIdOf(credential_id), parseOrThrow(CooldownBody, opts), SERVICE_BINDING_HOLDER);
  }

  async clear_cooldown(credential_id: number): Promise<void> {
    return this.#pool().clearCooldown(credentialIdOf(credential_id), SERVICE_BINDING_HOLDER);
  }

  async set_expires_at(credential_id: number, expires_at: string | null): Promise<ExpiresAtResult> {
    return this.#pool().setExpiresAt(credentialIdOf(credential_id), parseOrThrow(ExpiresAtBody, { expires_at }), SERVICE_BINDING_HOLDER);
  }

  async update_fields(lease_id: string, fields: Record<string, string>): Promise<FieldsUpdated> {
    return this.#pool().updateFields(parseOrThrow(UpdateFieldsBody, { lease_id, fields }), SERVICE_BINDING_HOLDER);
  }
}

function credentialIdOf(id: unknown): number {
  return parseOrThrow(CredentialIdInput, { id }).id;
}
