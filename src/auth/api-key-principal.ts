/**
 * The one rule that turns a presented machine key and what is stored about
 * it into a principal (or none). Two places hold the stored facts and both ask
 * this: auth/middleware.ts with a D1 read, and the CredentialPool object with
 * its working copy (pool/copy-store.ts), which authenticates `/api/pool/*`
 * without touching D1. So the pool refuses exactly what the rest of the API
 * refuses, for the same reasons.
 *
 * A key is refused (no principal) unless it matches the stored hash, is
 * `active` (not revoked, not expired: apiKeyStatus) and its owner, if it has
 * one, exists and is active. What it may do is `effectivePermissions` of its
 * scope and its owner's current role.
 */
import { apiKeyActor, apiKeyMatches, apiKeyStatus } from './api-keys.ts';
import { effectivePermissions, type ApiKeyScope, type Principal, type Role } from '../kernel/principal.ts';

interface StoredApiKey {
  id: number;
  keyPrefix: string;
  keyHash: string;
  scope: ApiKeyScope;
  /** Null for a service key (no owner). */
  userId: number | null;
  revokedAt: number | null;
  expiresAt: number | null;
}

/**
 * `owner`: the owning user's current role and state, or null when the key has
 * no owner or the owner row is gone (then a key with a `userId` is refused).
 */
export function apiKeyPrincipal(
  key: string,
  row: StoredApiKey | null | undefined,
  owner: { role: Role; isActive: boolean } | null,
  now: number,
): Principal | undefined {
  if (!row || !apiKeyMatches(key, row.keyHash) || apiKeyStatus(row, now) !== 'active') return undefined;
  let ownerRole: Role | null = null;
  if (row.userId !== null) {
    if (!owner?.isActive) return undefined;
    ownerRole = owner.role;
  }
  return {
    via: 'api_key',
    userId: row.userId,
    apiKeyId: row.id,
    actor: apiKeyActor(row.keyPrefix),
    permissions: effectivePermissions({ via: 'api_key', scope: row.scope, ownerRole }),
  };
}
