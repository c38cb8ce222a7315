/**
 * The owner of the `api_keys` table (src/db/owners.ts): create (the plaintext key is returned once and only
 * its SHA-256 is stored), list (never the hash), revoke. Each change is one D1
 * batch with its audit event.
 */
import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { apiKeys, type ApiKeyRow } from '../db/schema.ts';
import { VaultError } from '../errors.ts';
import { auditStatement } from '../audit/audit.ts';
import { apiKeyActor, apiKeyStatus, generateApiKey, type NewApiKeyInput } from './api-keys.ts';
import { getUser, userStandingsQuery } from './users.ts';
import type { Actor } from '../kernel/principal.ts';
import { iso } from '../db/timestamps.ts';
import { validationError } from '../schema/problems.ts';

/** Who created a key, as lists show it: null when a script or a service key made it. */
export interface KeyCreator {
  email: string;
  /** False once the creator is demoted or deactivated: a service key they made keeps working, so an admin should review it. */
  stillAdmin: boolean;
}

interface ListedApiKey {
  row: ApiKeyRow;
  creator: KeyCreator | null;
}

/** An API key as lists show it: the public prefix, never the key or its hash. */
export function publicApiKey(k: ApiKeyRow, creator: KeyCreator | null = null, now = Date.now()) {
  return {
    id: k.id,
    name: k.name,
    scope: k.scope,
    user_id: k.userId,
    prefix: `av_${k.keyPrefix}_`,
    status: apiKeyStatus(k, now),
    created_by: k.createdBy,
    created_by_email: creator?.email ?? null,
    creator_still_admin: creator ? creator.stillAdmin : null,
    created_at: iso(k.createdAt),
    expires_at: iso(k.expiresAt),
    last_used_at: iso(k.lastUsedAt),
    revoked_at: iso(k.revokedAt),
  };
}

/** Every key, newest first, with its creator's email and current standing. */
export async function listApiKeys(db: Db): Promise<ListedApiKey[]> {
  // Two reads in one batch (one consistent state), joined here: `users` is read through its owner (auth/users.ts).
  const [rows, people] = await db.batch([db.select().from(apiKeys).orderBy(desc(apiKeys.id)), userStandingsQuery(db)]);
  const byId = new Map(people.map((u) => [u.id, u]));
  return rows.map((row) => {
    const c = row.createdBy === null ? undefined : byId.get(row.createdBy);
    return { row, creator: c ? { email: c.email, stillAdmin: c.role === 'admin' && Boolean(c.isActive) } : null };
  });
}

/** The key with this public prefix (at most one row: the prefix is unique), unexecuted, for the caller's batch. */
export function apiKeyByPrefixQuery(db: Db, prefix: string) {
  return db.select().from(apiKeys).where(eq(apiKeys.keyPrefix, prefix)).limit(1);
}

/** The owner id of the key with this prefix, as a subquery for the owner's read (users.ts `usersWithIdIn`). */
export function apiKeyOwnerIdSubquery(db: Db, prefix: string) {
  return db.select({ id: apiKeys.userId }).from(apiKeys).where(eq(apiKeys.keyPrefix, prefix));
}

/** Stamps a key's use. */
export async function touchApiKey(db: Db, id: number, now: number): Promise<void> {
  await db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, id));
}

/** What the pool's copy holds per API key (pool/copy-store.ts). */
export interface PoolCopyApiKeyRow {
  id: number;
  key_prefix: string;
  key_hash: string;
  scope: ApiKeyRow['scope'];
  user_id: number | null;
  revoked_at: number | null;
  expires_at: number | null;
}

/** Every key as the pool copies it; raw because it rides in the copy's one raw D1 batch with the version read. */
export function poolCopyApiKeysStatement(d1: D1Database): D1PreparedStatement {
  return d1.prepare('SELECT id, key_prefix, key_hash, scope, user_id, revoked_at, expires_at FROM api_keys ORDER BY id');
}

/**
 * The pool's coalesced `last_used_at` (only moves forward). Raw SQL: it merges
 * a JSON list of rows in one statement (UPDATE … FROM json_each), which
 * drizzle cannot express.
 */
export function apiKeyUsageStatement(d1: D1Database, rows: { id: number; usedAt: number }[]): D1PreparedStatement {
  return d1
    .prepare(
      `UPDATE api_keys SET last_used_at = MAX(COALESCE(api_keys.last_used_at, 0), u.used_at)
     FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS used_at FROM json_each(?)) AS u
     WHERE api_keys.id = u.id`,
    )
    .bind(JSON.stringify(rows.map((k) => [k.id, k.usedAt])));
}

type NewApiKeyRow = typeof apiKeys.$inferInsert;

/** The insert of one key row (only its hash, never the key), unexecuted: `createApiKey` and the bench seeds (bench/seed.ts) share it. */
export function newApiKeyQuery(db: Db, row: NewApiKeyRow) {
  return db.insert(apiKeys).values(row);
}

/** Creates a key; the returned `key` is the only time the plaintext exists outside the caller. */
export async function createApiKey(db: Db, input: NewApiKeyInput, createdBy: number | null, by: Actor) {
  if (input.userId !== null) {
    const owner = await getUser(db, input.userId).catch(() => {
      throw validationError([{ field: 'user_id', message: 'is not a user' }]);
    });
    if (input.scope === 'admin' && owner.role !== 'admin') {
      throw validationError(
        [{ field: 'scope', message: 'must be collector for a key that acts for a non-admin' }],
        'An admin-scope key must belong to an admin or to no user (a service).',
      );
    }
  }
  const generated = generateApiKey();
  const now = Date.now();
  const [inserted] = await db.batch([
    newApiKeyQuery(db, {
      name: input.name,
      scope: input.scope,
      userId: input.userId,
      keyPrefix: generated.prefix,
      keyHash: generated.hash,
      createdBy,
      createdAt: now,
      expiresAt: input.expiresAt,
    }).returning(),
    auditStatement(db, {
      actor: by.actor,
      action: 'api_key.create',
      target: apiKeyActor(generated.prefix),
      ip: by.ip,
      detail: { name: input.name, scope: input.scope, user_id: input.userId, expires_at: iso(input.expiresAt) },
      at: now,
    }),
  ]);
  const row = inserted[0]!;
  return { ...publicApiKey(row, null, now), key: generated.key };
}

/** Revokes a key (idempotent); 404 if there is no such key. */
export async function revokeApiKey(db: Db, id: number, by: Actor): Promise<ApiKeyRow> {
  const row = Number.isSafeInteger(id) ? await db.query.apiKeys.findFirst({ where: eq(apiKeys.id, id) }) : undefined;
  if (!row) throw new VaultError('NOT_FOUND', `No API key with id ${id}.`);
  if (row.revokedAt !== null) return row;
  const now = Date.now();
  const [updated] = await db.batch([
    db
      .update(apiKeys)
      .set({ revokedAt: now })
      .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
      .returning(),
    auditStatement(db, { actor: by.actor, action: 'api_key.revoke', target: apiKeyActor(row.keyPrefix), ip: by.ip, detail: { name: row.name }, at: now }),
  ]);
  return updated[0] ?? row;
}
