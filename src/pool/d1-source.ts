/**
 * What the CredentialPool reads from and writes back to D1, off its hot path:
 * - `readSnapshot`: everything the copy holds, with the `pool_copy_version`
 *   it was read at, in ONE batch (D1's transaction, so one consistent state);
 * - `readVersion`: the version alone (is the copy behind?);
 * - `writeUsage`: the coalesced usage (last_used_at of credentials and keys,
 *   error counts) in ONE batch, which also reads the version, so the alarm
 *   that flushes checks the copy for free.
 * Raw SQL: the usage updates merge a JSON list of rows in one statement each
 * (UPDATE … FROM json_each), which drizzle cannot express.
 */
import type { CopiedApiKey, CopiedCredential, Outbox, Snapshot } from './copy-store.ts';
import type { ApiKeyScope, Role } from '../auth/principal.ts';

const VERSION_SQL = 'SELECT version FROM pool_copy_version WHERE id = 1';

function versionOf(rows: unknown[] | undefined): number {
  const v = (rows?.[0] as { version?: number } | undefined)?.version;
  if (typeof v !== 'number') throw new Error('D1 has no pool_copy_version row (migration 0050 not applied)');
  return v;
}

interface CredentialRow {
  id: number; platform: string; tier: string; encrypted_value: string; key_id: string; is_active: number;
  daily_quota: number | null; monthly_quota: number | null; max_leases: number | null; last_used_at: number | null;
}

interface KeyRow {
  id: number; key_prefix: string; key_hash: string; scope: ApiKeyScope; user_id: number | null; revoked_at: number | null;
  expires_at: number | null; owner_role: Role | null; owner_active: number | null;
}

export async function readSnapshot(db: D1Database): Promise<Snapshot> {
  const [version, credentials, keys] = await db.batch([
    db.prepare(VERSION_SQL),
    db.prepare(
      `SELECT id, platform, tier, encrypted_value, key_id, is_active, daily_quota, monthly_quota, max_leases, last_used_at
       FROM api_credentials ORDER BY id`,
    ),
    db.prepare(
      `SELECT k.id, k.key_prefix, k.key_hash, k.scope, k.user_id, k.revoked_at, k.expires_at, u.role AS owner_role, u.is_active AS owner_active
       FROM api_keys k LEFT JOIN users u ON u.id = k.user_id ORDER BY k.id`,
    ),
  ]);
  return {
    version: versionOf(version!.results),
    credentials: (credentials!.results as CredentialRow[]).map(
      (r): CopiedCredential => ({
        id: r.id,
        platform: r.platform,
        tier: r.tier,
        encryptedValue: r.encrypted_value,
        keyId: r.key_id,
        isActive: Boolean(r.is_active),
        dailyQuota: r.daily_quota,
        monthlyQuota: r.monthly_quota,
        maxLeases: r.max_leases,
        lastUsedAt: r.last_used_at,
      }),
    ),
    apiKeys: (keys!.results as KeyRow[]).map(
      (r): CopiedApiKey => ({
        id: r.id,
        keyPrefix: r.key_prefix,
        keyHash: r.key_hash,
        scope: r.scope,
        userId: r.user_id,
        revokedAt: r.revoked_at,
        expiresAt: r.expires_at,
        owner: r.owner_role === null ? null : { role: r.owner_role, isActive: Boolean(r.owner_active) },
      }),
    ),
  };
}

export async function readVersion(db: D1Database): Promise<number> {
  return versionOf((await db.prepare(VERSION_SQL).all()).results);
}

/** Writes the usage (times only move forward; error counts add up) and answers the version, in one batch. */
export async function writeUsage(db: D1Database, out: Outbox): Promise<number> {
  const statements: D1PreparedStatement[] = [];
  if (out.credentials.length) {
    statements.push(
      db.prepare(
        `UPDATE api_credentials SET
           last_used_at = CASE WHEN u.used_at IS NULL THEN api_credentials.last_used_at
                               ELSE MAX(COALESCE(api_credentials.last_used_at, 0), u.used_at) END,
           error_count = api_credentials.error_count + u.errors,
           last_error_at = CASE WHEN u.error_at IS NULL THEN api_credentials.last_error_at
                                ELSE MAX(COALESCE(api_credentials.last_error_at, 0), u.error_at) END
         FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS used_at,
                      json_extract(value, '$[2]') AS errors, json_extract(value, '$[3]') AS error_at FROM json_each(?)) AS u
         WHERE api_credentials.id = u.id`,
      ).bind(JSON.stringify(out.credentials.map((c) => [c.id, c.usedAt, c.errors, c.errorAt]))),
    );
  }
  if (out.apiKeys.length) {
    statements.push(
      db.prepare(
        `UPDATE api_keys SET last_used_at = MAX(COALESCE(api_keys.last_used_at, 0), u.used_at)
         FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS used_at FROM json_each(?)) AS u
         WHERE api_keys.id = u.id`,
      ).bind(JSON.stringify(out.apiKeys.map((k) => [k.id, k.usedAt]))),
    );
  }
  statements.push(db.prepare(VERSION_SQL));
  const results = await db.batch(statements);
  return versionOf(results[results.length - 1]!.results);
}
