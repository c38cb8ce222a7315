/**
 * The pool's operations by credential id (issue 21), for the original
 * platform's collectors: metadata without plaintext, a cooldown by id, the
 * token expiry, and a lease holder's replacement of the fields (an OAuth
 * refresh). The CredentialPool object (durable-object.ts) authenticates the
 * caller and hands these functions its stores; they hold the steps, and
 * lease-rules.ts the rules.
 *
 * - Metadata and expiry read and write D1 (the source of truth; they are not on
 *   the lease path, so they never answer from a copy that may be behind);
 *   cooldowns come from the pool's own state.
 * - A cooldown by id is set or cleared only by a key that holds, or held within
 *   the last hour, a lease on the credential (403 NOT_A_RECENT_HOLDER).
 * - update-fields: the holder of a live lease replaces the credential's fields;
 *   they are checked with the registry (credentials/fields.ts), sealed under
 *   the current key, written to D1 with their audit event (field names only) in
 *   one batch, and put in the pool's copy before the answer.
 */
import { VaultError } from '../errors.ts';
import { iso } from '../db/timestamps.ts';
import { auditIfChangedD1Statement } from '../audit/audit.ts';
import type { CredentialKeyRing } from '../crypto/key-ring.ts';
import { validateCredentialFields } from '../credentials/fields.ts';
import { sealCredentialFields } from '../credentials/sealing.ts';
import {
  credentialMetadataRow,
  credentialMetadataRows,
  replaceFieldsByHolderStatement,
  setCredentialExpiryStatement,
  type CredentialMetadataRow,
} from '../credentials/repository.ts';
import type { ByIdStore } from './by-id-store.ts';
import type { CopyStore } from './copy-store.ts';
import type { PoolStore } from './pool-store.ts';
import { effectiveCooldown, FRESH_STATE, isRecentHolder } from './lease-rules.ts';
import type { CooldownRequest, CredentialMetadataRequest, ExpiresAtRequest, UpdateFieldsRequest } from './requests.ts';
import type { CooldownResult, CredentialMetadata, CredentialMetadataList, ExpiresAtResult, FieldsUpdated } from './types.ts';

/** What these operations use of the pool object. */
export interface ByIdContext {
  db: D1Database;
  store: PoolStore;
  copy: CopyStore;
  byId: ByIdStore;
  /** The authenticated caller's holder name (also the audit actor: `api_key:N`, or `service_binding`). */
  holder: string;
  now: number;
}

export function credentialNotFound(id: number): VaultError {
  return new VaultError('CREDENTIAL_NOT_FOUND', 'No credential with this id.', { details: { credential_id: id } });
}

/** When the credential's running cooldown (error or by id) ends, or null. */
export function cooldownOf(ctx: Pick<ByIdContext, 'store' | 'byId'>, credentialId: number, now: number): number | null {
  const state = ctx.store.states([credentialId]).get(credentialId) ?? FRESH_STATE;
  return effectiveCooldown(state.cooldownUntil, ctx.byId.cooldownUntil(credentialId), now);
}

function metadata(ctx: ByIdContext, r: CredentialMetadataRow): CredentialMetadata {
  return {
    id: r.id,
    name: r.credential_name,
    platform: r.platform,
    tier: r.tier,
    active: Boolean(r.is_active),
    expires_at: iso(r.expires_at),
    cooldown_until: iso(cooldownOf(ctx, r.id, ctx.now)),
  };
}

export async function listMetadata(ctx: ByIdContext, q: CredentialMetadataRequest): Promise<CredentialMetadataList> {
  const rows = await credentialMetadataRows(ctx.db, q.platform, q.tier);
  return { credentials: rows.map((r) => metadata(ctx, r)) };
}

export async function readMetadata(ctx: ByIdContext, id: number): Promise<CredentialMetadata> {
  const row = await credentialMetadataRow(ctx.db, id);
  if (!row) throw credentialNotFound(id);
  return metadata(ctx, row);
}

/** 404 for a credential the pool does not know; 403 unless the caller holds or held a lease on it within the hour. */
function refuseUnlessRecentHolder(ctx: ByIdContext, id: number): void {
  if (!ctx.copy.credential(id)) throw credentialNotFound(id);
  const held = Math.max(ctx.store.heldUntil(id, ctx.holder) ?? -Infinity, ctx.byId.lastLeaseEnd(id, ctx.holder) ?? -Infinity);
  if (!isRecentHolder(Number.isFinite(held) ? held : null, ctx.now)) {
    throw new VaultError('NOT_A_RECENT_HOLDER', 'Only a key that holds, or held within the last hour, a lease on this credential may change its cooldown.');
  }
}

export function setCooldown(ctx: ByIdContext, id: number, req: CooldownRequest): CooldownResult {
  refuseUnlessRecentHolder(ctx, id);
  ctx.byId.setCooldown(id, { until: ctx.now + req.seconds * 1000, reason: req.reason, setBy: ctx.holder, setAt: ctx.now });
  return { credential_id: id, cooldown_until: iso(cooldownOf(ctx, id, ctx.now))! };
}

export function clearCooldown(ctx: ByIdContext, id: number): void {
  refuseUnlessRecentHolder(ctx, id);
  ctx.byId.clearCooldown(id);
}

export async function setExpiresAt(ctx: ByIdContext, id: number, req: ExpiresAtRequest): Promise<ExpiresAtResult> {
  const expiresAt = req.expires_at;
  const [updated] = await ctx.db.batch([
    setCredentialExpiryStatement(ctx.db, id, expiresAt),
    auditIfChangedD1Statement(ctx.db, {
      at: ctx.now,
      actor: ctx.holder,
      action: 'credential.set_expiry',
      target: `credential:${id}`,
      detail: { expires_at: iso(expiresAt) },
    }),
  ]);
  if (!updated!.results.length) throw credentialNotFound(id);
  return { credential_id: id, expires_at: iso(expiresAt) };
}

/**
 * The lease's holder replaces the credential's fields. The caller has checked
 * the lease is live and the holder's, and that no rotation holds the lock.
 */
export async function updateFields(
  ctx: ByIdContext,
  lease: { leaseId: string; credentialId: number },
  ring: CredentialKeyRing,
  req: UpdateFieldsRequest,
  stillAllowed: () => void,
): Promise<FieldsUpdated> {
  const id = lease.credentialId;
  const row = ctx.copy.credential(id);
  if (!row) throw credentialNotFound(id);
  const fields = validateCredentialFields(row.platform, req.fields);
  const { token, keyId } = await sealCredentialFields(ring, fields);
  stillAllowed();
  const [updated] = await ctx.db.batch([
    replaceFieldsByHolderStatement(ctx.db, { id, encryptedValue: token, keyId, at: ctx.now, actor: ctx.holder }),
    auditIfChangedD1Statement(ctx.db, {
      at: ctx.now,
      actor: ctx.holder,
      action: 'credential.update_fields',
      target: `credential:${id}`,
      detail: { platform: row.platform, tier: row.tier, field_names: Object.keys(fields), key_id: keyId, lease_id: lease.leaseId },
    }),
  ]);
  if (!updated!.results.length) throw credentialNotFound(id);
  ctx.copy.replaceSecret(id, token, keyId);
  return { lease_id: lease.leaseId, credential_id: id, updated_at: iso(ctx.now)! };
}
