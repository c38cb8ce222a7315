/**
 * The masked record every credential read returns (REST and pages): the row's
 * facts, its key status and masked fields, never a secret value. Times are
 * ISO 8601 strings (UTC) or null. The schemas here are the OpenAPI document's
 * answers; the types are derived from them.
 */
import * as v from 'valibot';
import type { CredentialRow } from '../db/schema.ts';
import { maskCredentialFields } from './masking.ts';
import type { OpenedCredential } from './sealing.ts';
import { iso } from '../db/timestamps.ts';

const IsoTime = v.pipe(v.string(), v.isoTimestamp());

/** A field as a read shows it (masking.ts): never a secret value. */
const MaskedFieldSchema = v.object({
  label: v.string(),
  secret: v.boolean(),
  set: v.boolean(),
  /** Non-secret fields only. */
  value: v.optional(v.string()),
  /** Secret fields only, when set. */
  length_class: v.optional(v.picklist(['short', 'medium', 'long'])),
  /** Hintable secret fields of 16+ characters only. */
  last4: v.optional(v.string()),
});

/** The masked record, as every credential read and write answers it. */
export const CredentialViewSchema = v.strictObject({
  id: v.number(),
  platform: v.string(),
  tier: v.string(),
  credential_name: v.string(),
  is_active: v.boolean(),
  daily_quota: v.nullable(v.number()),
  monthly_quota: v.nullable(v.number()),
  /** Concurrent pool leases allowed. */
  max_leases: v.number(),
  /** allowed: the pool may grant shared leases; never: every lease is exclusive. */
  sharing: v.picklist(['allowed', 'never']),
  /** The held token's expiry, if known (set here or by a collector: PUT /api/pool/credentials/:id/expires-at). */
  expires_at: v.nullable(IsoTime),
  /** When a lease holder last replaced the fields (POST /api/pool/update-fields), and its collector key (`api_key:N`). */
  fields_updated_at: v.nullable(IsoTime),
  fields_updated_by: v.nullable(v.string()),
  last_used_at: v.nullable(IsoTime),
  last_error_at: v.nullable(IsoTime),
  error_count: v.number(),
  notes: v.nullable(v.string()),
  created_by: v.nullable(v.number()),
  created_at: IsoTime,
  updated_at: IsoTime,
  key_id: v.string(),
  /** current | previous | missing_key (key id not in the ring) | undecryptable (token or payload bad). */
  key_status: v.picklist(['current', 'previous', 'missing_key', 'undecryptable']),
  /** Masked fields by name; null when the row cannot be opened. */
  fields: v.nullable(v.record(v.string(), MaskedFieldSchema)),
});

export type CredentialView = v.InferOutput<typeof CredentialViewSchema>;

/** `GET /api/credentials`. */
export const CredentialListSchema = v.strictObject({
  credentials: v.array(CredentialViewSchema),
  total: v.number(),
  limit: v.number(),
  offset: v.number(),
  next_offset: v.nullable(v.number()),
});

/** `DELETE /api/credentials/:id`. */
export const CredentialDeletedSchema = v.strictObject({ id: v.number(), deleted: v.literal(true) });

/** `POST /api/credentials/:id/verify`: whether the row opens, never its value. */
export const VerifyReportSchema = v.strictObject({
  id: v.number(),
  result: v.picklist(['ok', 'needs_previous_key', 'undecryptable']),
  key_id: v.string(),
  key_status: CredentialViewSchema.entries.key_status,
  /** Why it is undecryptable. */
  reason: v.optional(v.picklist(['key_missing', 'token_invalid', 'payload_invalid'])),
  /** When it decrypts: does the payload still match the registry's fields? */
  fields_valid: v.optional(v.boolean()),
  /** Which fields do not (names and rules only). */
  field_problems: v.optional(v.array(v.object({ field: v.string(), message: v.string() }))),
});

export type VerifyReport = v.InferOutput<typeof VerifyReportSchema>;

/**
 * The credential API's `key_status`: the ring's verdict on the row's key id
 * (crypto/key-ring.ts CredentialKeyStatus, the one vocabulary inside the
 * vault), told apart at this edge into `missing_key` (key id not in the ring)
 * and `undecryptable` (token or payload bad), as the public JSON has always said.
 */
type PublicKeyStatus = CredentialView['key_status'];

export function publicKeyStatus(opened: OpenedCredential): PublicKeyStatus {
  if (opened.readable) return opened.keyStatus;
  return opened.keyStatus === 'missing' ? 'missing_key' : 'undecryptable';
}

export function credentialView(row: CredentialRow, opened: OpenedCredential): CredentialView {
  let fields: CredentialView['fields'] = null;
  if (opened.readable) {
    fields = {};
    for (const { name, ...rest } of maskCredentialFields(row.platform, opened.payload)) fields[name] = rest;
  }
  return {
    id: row.id,
    platform: row.platform,
    tier: row.tier,
    credential_name: row.credentialName,
    is_active: row.isActive,
    daily_quota: row.dailyQuota,
    monthly_quota: row.monthlyQuota,
    max_leases: row.maxLeases,
    sharing: row.sharing,
    expires_at: iso(row.expiresAt),
    fields_updated_at: iso(row.fieldsUpdatedAt),
    fields_updated_by: row.fieldsUpdatedBy,
    last_used_at: iso(row.lastUsedAt),
    last_error_at: iso(row.lastErrorAt),
    error_count: row.errorCount,
    notes: row.notes,
    created_by: row.createdBy,
    created_at: iso(row.createdAt)!,
    updated_at: iso(row.updatedAt)!,
    key_id: row.keyId,
    key_status: publicKeyStatus(opened),
    fields,
  };
}
