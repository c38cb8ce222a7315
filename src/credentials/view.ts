/**
 * The masked record every credential read returns (REST and pages): the row's
 * facts, its key status and masked fields, never a secret value. Times are
 * ISO 8601 strings (UTC) or null.
 */
import type { CredentialRow } from '../db/schema.ts';
import { maskCredentialFields, type MaskedField } from './masking.ts';
import type { KeyStatus, OpenedCredential } from './sealing.ts';
import { iso } from '../db/timestamps.ts';

export interface CredentialView {
  id: number;
  platform: string;
  tier: string;
  credential_name: string;
  is_active: boolean;
  daily_quota: number | null;
  monthly_quota: number | null;
  /** Concurrent pool leases allowed. */
  max_leases: number;
  last_used_at: string | null;
  last_error_at: string | null;
  error_count: number;
  notes: string | null;
  created_by: number | null;
  created_at: string;
  updated_at: string;
  key_id: string;
  /** current | previous | missing_key (key id not in the ring) | undecryptable (token or payload bad). */
  key_status: KeyStatus;
  /** Masked fields by name; null when the row cannot be opened. */
  fields: Record<string, Omit<MaskedField, 'name'>> | null;
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
    last_used_at: iso(row.lastUsedAt),
    last_error_at: iso(row.lastErrorAt),
    error_count: row.errorCount,
    notes: row.notes,
    created_by: row.createdBy,
    created_at: iso(row.createdAt)!,
    updated_at: iso(row.updatedAt)!,
    key_id: row.keyId,
    key_status: opened.keyStatus,
    fields,
  };
}
