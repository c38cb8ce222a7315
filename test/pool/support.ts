/**
 * Test helpers for the collection side: seed credential rows straight into D1
 * (encrypted with the real CredentialKeyRing, optionally under a key the
 * vault's env lacks, or tagged with a key id that does not open them), and
 * call the pool's REST routes. (API keys: test/support/auth.ts.)
 */
import { env, SELF } from 'cloudflare:test';
import { CredentialKeyRing } from '../../src/crypto/key-ring.ts';
import { TEST_CREDENTIAL_KEY } from '../support/keys.ts';

export { apiKeyHeaders } from '../support/auth.ts';

export interface SeedCredential {
  platform: string;
  tier: 'free' | 'medium' | 'premium';
  fields: Record<string, string>;
  name?: string;
  /** Encrypt under this Fernet key instead of the vault's current one. */
  key?: string;
  /** Store this key id instead of the encrypting key's (a "wrong key" row). */
  keyIdOverride?: string;
  isActive?: boolean;
  dailyQuota?: number | null;
  monthlyQuota?: number | null;
  maxLeases?: number;
  lastUsedAt?: number | null;
}

export async function keyIdOf(key: string): Promise<string> {
  return (await CredentialKeyRing.fromKeys(key)).currentKeyId;
}

export async function seedCredential(s: SeedCredential): Promise<number> {
  const ring = await CredentialKeyRing.fromKeys(s.key ?? TEST_CREDENTIAL_KEY);
  const { token, keyId } = await ring.encrypt(JSON.stringify(s.fields));
  const now = Date.now();
  const row = await env.DB.prepare(
    `INSERT INTO api_credentials (platform, tier, credential_name, encrypted_value, key_id, is_active, daily_quota, monthly_quota,
       max_leases, last_used_at, error_count, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) RETURNING id`,
  )
    .bind(
      s.platform,
      s.tier,
      s.name ?? `${s.platform}-${crypto.randomUUID().slice(0, 6)}`,
      token,
      s.keyIdOverride ?? keyId,
      s.isActive === false ? 0 : 1,
      s.dailyQuota ?? null,
      s.monthlyQuota ?? null,
      s.maxLeases ?? 1,
      s.lastUsedAt ?? null,
      now,
      now,
    )
    .first<{ id: number }>();
  // Written behind the app's back: bring the pool's working copy up, as an admin write request does (pool/follow-writes.ts).
  await syncPool();
  return row!.id;
}

/** Runs the pool's alarm now: its coalesced usage (last_used_at, error counts) goes back to D1. */
export async function flushPoolUsage(): Promise<void> {
  const { runDurableObjectAlarm, runInDurableObject } = await import('cloudflare:test');
  const { poolStub } = await import('../../src/pool/lock-api.ts');
  const pending = () =>
    runInDurableObject(poolStub(env), (_o, state: DurableObjectState) =>
      ['outbox_credentials', 'outbox_api_keys', 'outbox_inflight_credentials', 'outbox_inflight_api_keys', 'usage_day_outbox', 'usage_day_inflight']
        .map((t) => state.storage.sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${t}`).one().n)
        .reduce((a, b) => a + b, 0),
    );
  // An alarm the pool set itself may be flushing right now (then ours does not run):
  // run alarms until nothing is left in the outbox or on its way to D1.
  for (let i = 0; i < 50 && (await pending()) > 0; i++) {
    await runDurableObjectAlarm(poolStub(env));
  }
  if ((await pending()) > 0) throw new Error('the pool did not flush its usage outbox');
}

/** Brings the pool's working copy up to D1 (what every admin write request does before it answers). */
export async function syncPool(): Promise<void> {
  const { pool } = await import('../../src/pool/client.ts');
  await pool(env).syncAfterWrite();
}

export function post(path: string, headers: Record<string, string>, json: unknown): Promise<Response> {
  return SELF.fetch(`https://vault.test${path}`, { method: 'POST', headers, body: JSON.stringify(json) });
}

/** The one error shape (src/errors.ts ErrorBody): a code's extra facts sit in `details`. */
export interface ErrorBody {
  error: { code: string; message: string; request_id?: string; details?: Record<string, any> };
}

/**
 * Empties the pool object's storage (leases, state, counters, lock, working
 * copy) between tests of one file, then evicts the object: what it kept in
 * memory from that storage is gone with the instance, as after any restart.
 */
export async function resetPool(): Promise<void> {
  const { evictDurableObject, runInDurableObject } = await import('cloudflare:test');
  const { poolStub } = await import('../../src/pool/lock-api.ts');
  await runInDurableObject(poolStub(env), (_instance, state) => {
    state.storage.sql.exec('DELETE FROM leases; DELETE FROM credential_state; DELETE FROM usage; DELETE FROM pool_lock;');
    // The copy is read again in full on the next call.
    state.storage.sql.exec(
      'DELETE FROM copy_credentials; DELETE FROM copy_api_keys; DELETE FROM copy_meta; DELETE FROM outbox_credentials; DELETE FROM outbox_api_keys;',
    );
    state.storage.sql.exec('DELETE FROM copy_sync_state;');
    state.storage.sql.exec('DELETE FROM usage_day_outbox; DELETE FROM usage_day_inflight;');
  });
  await evictDurableObject(poolStub(env));
}
