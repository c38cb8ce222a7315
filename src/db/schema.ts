/**
 * The D1 schema in drizzle. It mirrors migrations/*.sql exactly (the SQL files
 * are what D1 applies; this is what the code queries through).
 * Times are unix milliseconds.
 */
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

const ms = (name: string) => integer(name, { mode: 'number' });

export const users = sqliteTable(
  'users',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    email: text('email').notNull(),
    hashedPassword: text('hashed_password').notNull(),
    displayName: text('display_name').notNull().default(''),
    role: text('role', { enum: ['admin', 'researcher'] })
      .notNull()
      .default('researcher'),
    isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
    tokenVersion: integer('token_version').notNull().default(0),
    lastLoginAt: ms('last_login_at'),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [uniqueIndex('users_email_unique').on(t.email)],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    name: text('name').notNull(),
    scope: text('scope', { enum: ['collector', 'admin'] }).notNull(),
    userId: integer('user_id'),
    keyPrefix: text('key_prefix').notNull(),
    keyHash: text('key_hash').notNull(),
    createdBy: integer('created_by'),
    createdAt: ms('created_at').notNull(),
    lastUsedAt: ms('last_used_at'),
    revokedAt: ms('revoked_at'),
    /** Optional: from this instant the key is refused exactly as a revoked one (migration 0040). */
    expiresAt: ms('expires_at'),
  },
  (t) => [uniqueIndex('api_keys_prefix_unique').on(t.keyPrefix)],
);

export const loginThrottle = sqliteTable('login_throttle', {
  bucket: text('bucket').primaryKey(),
  failures: integer('failures').notNull().default(0),
  windowStartedAt: ms('window_started_at').notNull(),
  lockedUntil: ms('locked_until'),
});

/** Which SECRET_KEY signed tokens and until when they live (migration 0010). */
export const signingKeyUsage = sqliteTable('signing_key_usage', {
  kid: text('kid').primaryKey(),
  firstSignedAt: ms('first_signed_at').notNull(),
  lastSignedAt: ms('last_signed_at').notNull(),
  lastExpiresAt: ms('last_expires_at').notNull(),
});

export const apiCredentials = sqliteTable(
  'api_credentials',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    platform: text('platform').notNull(),
    tier: text('tier', { enum: ['free', 'medium', 'premium'] }).notNull(),
    credentialName: text('credential_name').notNull(),
    encryptedValue: text('encrypted_value').notNull(),
    keyId: text('key_id').notNull(),
    isActive: integer('is_active', { mode: 'boolean' }).notNull().default(true),
    dailyQuota: integer('daily_quota'),
    monthlyQuota: integer('monthly_quota'),
    lastUsedAt: ms('last_used_at'),
    lastErrorAt: ms('last_error_at'),
    errorCount: integer('error_count').notNull().default(0),
    /** Concurrent leases allowed (migration 0030; the pool's concurrency limit). */
    maxLeases: integer('max_leases').notNull().default(1),
    /** May the pool grant shared leases (`allowed`) or only exclusive ones (`never`)? (migration 0070) */
    sharing: text('sharing', { enum: ['allowed', 'never'] })
      .notNull()
      .default('allowed'),
    /** The held token's expiry, if known (migration 0070; informational, the pool does not enforce it). */
    expiresAt: ms('expires_at'),
    /** The last replacement of the fields by a lease holder (POST /api/pool/update-fields) and its actor (migration 0070). */
    fieldsUpdatedAt: ms('fields_updated_at'),
    fieldsUpdatedBy: text('fields_updated_by'),
    notes: text('notes'),
    createdBy: integer('created_by'),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [index('api_credentials_platform_tier_active').on(t.platform, t.tier, t.isActive), index('api_credentials_key_id').on(t.keyId, t.id)],
);

export const queryDesigns = sqliteTable(
  'query_designs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    ownerId: integer('owner_id').notNull(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    arenasConfig: text('arenas_config').notNull().default('{"arenas":[]}'),
    createdAt: ms('created_at').notNull(),
    updatedAt: ms('updated_at').notNull(),
  },
  (t) => [index('query_designs_owner').on(t.ownerId)],
);

export const auditEvents = sqliteTable(
  'audit_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: ms('at').notNull(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target'),
    ip: text('ip'),
    detail: text('detail'),
  },
  (t) => [index('audit_events_at').on(t.at), index('audit_events_action').on(t.action, t.at)],
);

export const recoveryActions = sqliteTable('recovery_actions', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  at: ms('at').notNull(),
  actor: text('actor').notNull(),
  keyIds: text('key_ids').notNull(),
  purgedCount: integer('purged_count').notNull(),
  disabledArenas: text('disabled_arenas').notNull(),
  reenabledAt: ms('reenabled_at'),
});

/** Issue 23 (migration 0090): one row per alert episode; open while resolvedAt is null. */
export const alerts = sqliteTable(
  'alerts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind').notNull(),
    subject: text('subject').notNull(),
    severity: text('severity', { enum: ['warning', 'critical'] }).notNull(),
    summary: text('summary').notNull(),
    openedAt: ms('opened_at').notNull(),
    resolvedAt: ms('resolved_at'),
    silencedUntil: ms('silenced_until'),
  },
  (t) => [uniqueIndex('alerts_one_open').on(t.kind, t.subject).where(sql`resolved_at IS NULL`), index('alerts_opened_at').on(t.openedAt)],
);

/** Where alerts go; the URL and signing secret are sealed (encryptedValue under keyId). */
export const alertDestinations = sqliteTable('alert_destinations', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  kind: text('kind', { enum: ['slack', 'json'] }).notNull(),
  name: text('name').notNull(),
  urlHost: text('url_host').notNull(),
  encryptedValue: text('encrypted_value').notNull(),
  keyId: text('key_id').notNull(),
  createdAt: ms('created_at').notNull(),
  createdBy: text('created_by').notNull(),
});

/** The delivery outbox and log. */
export const alertDeliveries = sqliteTable(
  'alert_deliveries',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    destinationId: integer('destination_id').notNull(),
    alertId: integer('alert_id'),
    event: text('event', { enum: ['opened', 'resolved', 'test'] }).notNull(),
    body: text('body').notNull(),
    status: text('status', { enum: ['pending', 'delivered', 'failed'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    createdAt: ms('created_at').notNull(),
    nextAttemptAt: ms('next_attempt_at'),
    lastAttemptAt: ms('last_attempt_at'),
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
  },
  (t) => [index('alert_deliveries_due').on(t.status, t.nextAttemptAt), index('alert_deliveries_created').on(t.createdAt)],
);

/** Issue 23 (migration 0095): usage per credential and UTC day, written by the pool's flush. */
export const credentialUsageDays = sqliteTable(
  'credential_usage_days',
  {
    credentialId: integer('credential_id').notNull(),
    day: text('day').notNull(),
    leases: integer('leases').notNull().default(0),
    units: integer('units').notNull().default(0),
    rateLimited: integer('rate_limited').notNull().default(0),
    authFailed: integer('auth_failed').notNull().default(0),
    quotaExhausted: integer('quota_exhausted').notNull().default(0),
    other: integer('other').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.credentialId, t.day] }), index('credential_usage_days_day').on(t.day)],
);

/** Issue 23 (migration 0095): the last live check of each credential with its provider. */
export const credentialChecks = sqliteTable('credential_checks', {
  credentialId: integer('credential_id').primaryKey(),
  result: text('result', { enum: ['ok', 'auth_failed', 'rate_limited', 'unreachable', 'unsupported'] }).notNull(),
  checkedAt: ms('checked_at').notNull(),
  detail: text('detail').notNull(),
});

export type User = typeof users.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type CredentialRow = typeof apiCredentials.$inferSelect;
export type QueryDesignRow = typeof queryDesigns.$inferSelect;
export type AuditEventRow = typeof auditEvents.$inferSelect;

/** A user's WebAuthn credentials (migration 0080): the public key only. */
export const passkeys = sqliteTable(
  'passkeys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id').notNull(),
    /** base64url, as the authenticator gave it. */
    credentialId: text('credential_id').notNull(),
    /** COSE public key, base64url. */
    publicKey: text('public_key').notNull(),
    counter: integer('counter').notNull().default(0),
    /** JSON array of transport hints. */
    transports: text('transports').notNull().default('[]'),
    name: text('name').notNull(),
    createdAt: ms('created_at').notNull(),
    lastUsedAt: ms('last_used_at'),
  },
  (t) => [uniqueIndex('passkeys_credential_id_unique').on(t.credentialId), index('passkeys_user').on(t.userId)],
);

/** WebAuthn challenges: single-use, five minutes (migration 0080). */
export const webauthnChallenges = sqliteTable(
  'webauthn_challenges',
  {
    challenge: text('challenge').primaryKey(),
    purpose: text('purpose', { enum: ['register', 'login'] }).notNull(),
    userId: integer('user_id'),
    expiresAt: ms('expires_at').notNull(),
    usedAt: ms('used_at'),
    /** SHA-256 of the response that consumed it (replay detection). */
    usedBy: text('used_by'),
  },
  (t) => [index('webauthn_challenges_expiry').on(t.expiresAt)],
);

/** Recovery codes, hashed (migration 0080). */
export const recoveryCodes = sqliteTable(
  'recovery_codes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id').notNull(),
    codeHash: text('code_hash').notNull(),
    createdAt: ms('created_at').notNull(),
    usedAt: ms('used_at'),
  },
  (t) => [uniqueIndex('recovery_codes_hash_unique').on(t.codeHash), index('recovery_codes_user').on(t.userId)],
);
