/**
 * Test helpers for the collection side: seed credential rows straight into D1
 * (encrypted with the real CredentialKeyRing, optionally under a key the
 * vault's env lacks, or tagged with a key id that does not open them), and
 * mint API keys for collectors.
 */
import { env, SELF } from 'cloudflare:test';
import { CredentialKeyRing } from '../../src/crypto/key-ring.ts';
import { generateApiKey } from '../../src/auth/api-keys.ts';
import { TEST_CREDENTIAL_KEY } from '../support/keys.ts';

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
      s.platform, s.tier, s.name ?? `${s.platform}-${crypto.randomUUID().slice(0, 6)}`, token, s.keyIdOverride ?? keyId,
      s.isActive === false ? 0 : 1, s.dailyQuota ?? null, s.monthlyQuota ?? null, s.maxLeases ?? 1, s.lastUsedAt ?? null, now, now,
    )
    .first<{ id: number }>();
  return row!.id;
}

/** An API key row of the given scope; returns headers for `Authorization: ApiKey …`. */
export async function apiKeyHeaders(scope: 'collector' | 'admin' = 'collector', userId: number | null = null): Promise<Record<string, string>> {
  const k = generateApiKey();
  await env.DB.prepare('INSERT INTO api_keys (name, scope, user_id, key_prefix, key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .bind(`test ${scope}`, scope, userId, k.prefix, k.hash, Date.now())
    .run();
  return { authorization: `ApiKey ${k.key}`, 'content-type': 'application/json' };
}

export function post(path: string, headers: Record<string, string>, json: unknown): Promise<Response> {
  return SELF.fetch(`https://vault.test${path}`, { method: 'POST', headers, body: JSON.stringify(json) });
}

export interface ErrorBody {
  error: { code: string; message: string; [k: string]: unknown };
}

/** Empties the pool object's storage (leases, state, counters, lock) between tests of one file. */
export async function resetPool(): Promise<void> {
  const { runInDurableObject } = await import('cloudflare:test');
  const { poolStub } = await import('../../src/pool/lock-api.ts');
  await runInDurableObject(poolStub(env), (_instance, state) => {
    state.storage.sql.exec('DELETE FROM leases; DELETE FROM credential_state; DELETE FROM usage; DELETE FROM pool_lock;');
  });
}

function cookieValue(headers: Headers, name: string): string | undefined {
  for (const c of headers.getSetCookie()) {
    const [pair] = c.split(';');
    const [k, ...v] = pair!.split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

export interface BrowserSession {
  get(path: string): Promise<{ status: number; html: string; headers: Headers }>;
  post(path: string, form: Record<string, string>): Promise<{ status: number; html: string; headers: Headers; location: string | null; flash?: string }>;
}

/** A browser-like page session for a user: bearer auth, the CSRF cookie and form token, same-origin form posts. */
export async function browserSession(token: string, start = '/admin/query-designs'): Promise<BrowserSession> {
  const first = await SELF.fetch(`https://vault.test${start}`, { headers: { authorization: `Bearer ${token}` } });
  const csrfCookie = cookieValue(first.headers, '__Host-av_csrf');
  const token_ = /name="csrf_token" value="([^"]+)"/.exec(await first.text())?.[1];
  if (!csrfCookie || !token_) throw new Error(`no CSRF cookie/token (status ${first.status})`);
  const cookie = `__Host-av_csrf=${csrfCookie}`;
  return {
    async get(path) {
      const res = await SELF.fetch(`https://vault.test${path}`, { headers: { authorization: `Bearer ${token}`, cookie } });
      return { status: res.status, html: await res.text(), headers: res.headers };
    },
    async post(path, form) {
      const res = await SELF.fetch(`https://vault.test${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { authorization: `Bearer ${token}`, cookie, origin: 'https://vault.test', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf_token: token_, ...form }).toString(),
      });
      const raw = cookieValue(res.headers, '__Host-av_flash');
      const flash = raw ? (JSON.parse(decodeURIComponent(decodeURIComponent(raw))) as { text: string }).text : undefined;
      return { status: res.status, html: await res.text(), headers: res.headers, location: res.headers.get('location'), flash };
    },
  };
}
