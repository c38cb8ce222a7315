/** Helpers for the credential suites: sample bodies, raw rows, audit reads. */
import { env } from 'cloudflare:test';
import { Fernet } from '../../src/crypto/fernet.ts';
import { callJson, type TestUser } from '../support/auth.ts';

export { apiKeyHeaders } from '../support/auth.ts';
export { pageSession, type PageSession } from '../support/page-session.ts';

export const SERPER_KEY = 'serper-0123456789-abcdefghij-KEY9';

export function serperBody(name = 'Serper main', apiKey = SERPER_KEY) {
  return { platform: 'serper', tier: 'medium', credential_name: name, fields: { api_key: apiKey } };
}

export function redditBody(name = 'Reddit bot', secret = 'reddit-client-secret-000') {
  return {
    platform: 'reddit',
    tier: 'free',
    credential_name: name,
    fields: { client_id: 'reddit-client-id', client_secret: secret, user_agent: 'arena-research/1.0 by u/vault' },
  };
}

/** A JSON call as `user` (or anonymous); `body` is parsed JSON, or the text. */
export function call(user: TestUser | null, method: string, path: string, json?: unknown) {
  return callJson(method, path, user?.headers ?? { 'content-type': 'application/json' }, json);
}

export async function createCredential(user: TestUser, body: unknown = serperBody()) {
  const r = await call(user, 'POST', '/api/credentials', body);
  if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.text}`);
  return r.body as { id: number; key_id: string; [k: string]: unknown };
}

/** A row written straight to D1 with any token and key id (for missing-key and tamper cases). */
export async function insertRawCredential(opts: { platform?: string; tier?: string; token: string; keyId: string; name?: string }) {
  const now = Date.now();
  const row = await env.DB.prepare(
    `INSERT INTO api_credentials (platform, tier, credential_name, encrypted_value, key_id, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
  )
    .bind(opts.platform ?? 'serper', opts.tier ?? 'medium', opts.name ?? 'raw row', opts.token, opts.keyId, now, now)
    .first<{ id: number }>();
  return row!.id;
}

export async function sealWith(key: string, fields: Record<string, unknown>) {
  const f = await Fernet.fromKey(key);
  return { token: await f.encrypt(JSON.stringify(fields)), keyId: f.keyId };
}

export async function rawRow(id: number) {
  return env.DB.prepare('SELECT * FROM api_credentials WHERE id = ?').bind(id).first<Record<string, any>>();
}

export async function auditFor(target: string) {
  const { results } = await env.DB.prepare('SELECT * FROM audit_events WHERE target = ? ORDER BY id').bind(target).all<Record<string, any>>();
  return results;
}
