/**
 * What the CredentialPool reads from and writes back to D1, off its hot path:
 * - `readSnapshot`: everything the copy holds, with the `pool_copy_version`
 *   it was read at, in ONE batch (D1's transaction, so one consistent state);
 * - `readVersion`: the version alone (is the copy behind?);
 * - `writeUsage`: the coalesced usage (last_used_at of credentials and keys,
 *   error counts) in ONE batch, which also reads the version, so the alarm
 *   that flushes checks the copy for free.
 * This module owns `pool_copy_version` (src/db/owners.ts; its triggers are in
 * migration 0050); the statements on the copied tables come from their owners.
 * Raw D1 statements throughout: they ride in one raw D1 batch with the version
 * read, and the table has no drizzle declaration (only triggers write it).
 */
import { copiedCredential, type CopiedApiKey, type Outbox, type Snapshot } from './copy-store.ts';
import type { Role } from '../kernel/principal.ts';
import { credentialUsageStatement, poolCopyCredentialsStatement, type PoolCopyCredentialRow } from '../credentials/repository.ts';
import { apiKeyUsageStatement, poolCopyApiKeysStatement, type PoolCopyApiKeyRow } from '../auth/api-key-store.ts';
import { poolCopyUserStandingsStatement } from '../auth/users.ts';

const VERSION_SQL = 'SELECT version FROM pool_copy_version WHERE id = 1';

function versionOf(rows: unknown[] | undefined): number {
  const v = (rows?.[0] as { version?: number } | undefined)?.version;
  if (typeof v !== 'number') throw new Error('D1 has no pool_copy_version row (migration 0050 not applied)');
  return v;
}

export async function readSnapshot(db: D1Database): Promise<Snapshot> {
  const [version, credentials, keys, people] = await db.batch([
    db.prepare(VERSION_SQL),
    poolCopyCredentialsStatement(db),
    poolCopyApiKeysStatement(db),
    poolCopyUserStandingsStatement(db),
  ]);
  const owners = new Map((people!.results as { id: number; role: Role; is_active: number }[]).map((u) => [u.id, u]));
  return {
    version: versionOf(version!.results),
    credentials: (credentials!.results as PoolCopyCredentialRow[]).map(copiedCredential),
    apiKeys: (keys!.results as PoolCopyApiKeyRow[]).map((r): CopiedApiKey => {
      const owner = r.user_id === null ? undefined : owners.get(r.user_id);
      return {
        id: r.id,
        keyPrefix: r.key_prefix,
        keyHash: r.key_hash,
        scope: r.scope,
        userId: r.user_id,
        revokedAt: r.revoked_at,
        expiresAt: r.expires_at,
        owner: owner ? { role: owner.role, isActive: Boolean(owner.is_active) } : null,
      };
    }),
  };
}

export async function readVersion(db: D1Database): Promise<number> {
  return versionOf((await db.prepare(VERSION_SQL).all()).results);
}

/**
 * Writes the usage (times only move forward; error counts add up), and the
 * `extra` statements (the usage per day: pool/usage-days.ts), and answers the
 * version, in one batch.
 */
export async function writeUsage(db: D1Database, out: Outbox, extra: readonly D1PreparedStatement[] = []): Promise<number> {
  const statements: D1PreparedStatement[] = [...extra];
  if (out.credentials.length) statements.push(credentialUsageStatement(db, out.credentials));
  if (out.apiKeys.length) statements.push(apiKeyUsageStatement(db, out.apiKeys));
  statements.push(db.prepare(VERSION_SQL));
  const results = await db.batch(statements);
  return versionOf(results[results.length - 1]!.results);
}
