/** Helpers for the credential suites: sample bodies, raw rows, API keys, audit reads. */
import { env } from 'cloudflare:test';
import { generateApiKey } from '../../src/auth/api-keys.ts';
import { Fernet } from '../../src/crypto/fernet.ts';
import { api, type TestUser } from '../support/auth.ts';

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

export async function call(user: TestUser | null, method: string, path: string, json?: unknown) {
  const res = await api(path, { method, headers: user?.headers ?? { 'content-type': 'application/json' }, json });
  const text = await res.text();
  let body: any = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, text, headers: res.headers };
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

/** An API key row of the given scope; returns headers that use it. */
export async function apiKeyHeaders(scope: 'collector' | 'admin', userId: number | null = null) {
  const k = generateApiKey();
  await env.DB.prepare('INSERT INTO api_keys (name, scope, user_id, key_prefix, key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .bind(`test ${scope}`, scope, userId, k.prefix, k.hash, Date.now())
    .run();
  return { authorization: `ApiKey ${k.key}`, 'content-type': 'application/json' };
}

/** A browser-like page session: bearer auth, the CSRF cookie and form token, same-origin posts. */
export interface PageSession {
  get(path: string, extraCookies?: string): Promise<{ status: number; html: string; headers: Headers }>;
  post(path: string, form: Record<string, string>, opts?: { csrf?: boolean }): Promise<{
    status: number;
    html: string;
    headers: Headers;
    /** The flash message text set by a redirect, and its cookie as the browser would send it back. */
    flash?: string;
    flashCookie?: string;
  }>;
}

function cookieValue(headers: Headers, name: string): string | undefined {
  for (const c of headers.getSetCookie()) {
    const [pair] = c.split(';');
    const [k, ...v] = pair!.split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

export async function pageSession(user: TestUser): Promise<PageSession> {
  const first = await api('/admin/credentials', { headers: { authorization: `Bearer ${user.token}` } });
  const csrfCookie = cookieValue(first.headers, '__Host-av_csrf');
  const html = await first.text();
  const token = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1];
  if (!csrfCookie || !token) throw new Error(`no CSRF cookie/token (status ${first.status})`);
  const baseCookie = `__Host-av_csrf=${csrfCookie}`;
  return {
    async get(path, extraCookies) {
      const res = await api(path, { headers: { authorization: `Bearer ${user.token}`, cookie: extraCookies ? `${baseCookie}; ${extraCookies}` : baseCookie } });
      return { status: res.status, html: await res.text(), headers: res.headers };
    },
    async post(path, form, opts = {}) {
      const body = new URLSearchParams({ ...(opts.csrf === false ? {} : { csrf_token: token }), ...form });
      const res = await api(path, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          authorization: `Bearer ${user.token}`,
          cookie: baseCookie,
          origin: 'https://vault.test',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: body.toString(),
      });
      const raw = cookieValue(res.headers, '__Host-av_flash');
      // The cookie holds URI-encoded JSON, URI-encoded again by setCookie.
      const flash = raw ? (JSON.parse(decodeURIComponent(decodeURIComponent(raw))) as { text: string }).text : undefined;
      return { status: res.status, html: await res.text(), headers: res.headers, flash, flashCookie: raw ? `__Host-av_flash=${raw}` : undefined };
    },
  };
}
