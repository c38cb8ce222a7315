/**
 * Test helpers for authenticated requests: insert a user row (or an API key
 * row) straight into D1 and mint a token with the real token code. (Login
 * itself is tested in test/auth; these helpers keep other suites independent
 * of it.)
 */
import { env, SELF } from 'cloudflare:test';
import { generateApiKey } from '../../src/auth/api-keys.ts';
import { loadConfig } from '../../src/config.ts';
import { issueAccessToken } from '../../src/auth/tokens.ts';
import type { Role } from '../../src/kernel/principal.ts';

let seq = 0;

export interface TestUser {
  id: number;
  email: string;
  role: Role;
  token: string;
  /** Headers for a JSON API call as this user. */
  headers: Record<string, string>;
}

export async function createTestUser(role: Role = 'admin', email?: string): Promise<TestUser> {
  const now = Date.now();
  const mail = email ?? `${role}-${++seq}-${crypto.randomUUID().slice(0, 8)}@example.test`;
  const row = await env.DB.prepare(
    `INSERT INTO users (email, hashed_password, display_name, role, is_active, token_version, created_at, updated_at)
     VALUES (?, 'test-only-no-password', ?, ?, 1, 0, ?, ?) RETURNING id`,
  )
    .bind(mail, `Test ${role}`, role, now, now)
    .first<{ id: number }>();
  const config = await loadConfig(env);
  const { token } = await issueAccessToken(config, { id: row!.id, role, tokenVersion: 0 }, 'password');
  return {
    id: row!.id,
    email: mail,
    role,
    token,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  };
}

/** Shorthand for a JSON request through the real Worker entry. */
export function api(path: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
  const { json, ...rest } = init;
  return SELF.fetch(`https://vault.test${path}`, {
    ...rest,
    body: json === undefined ? rest.body : JSON.stringify(json),
  });
}

/** An API key row of the given scope; returns headers for `Authorization: ApiKey …` JSON calls. */
export async function apiKeyHeaders(scope: 'collector' | 'admin' = 'collector', userId: number | null = null): Promise<Record<string, string>> {
  const k = generateApiKey();
  await env.DB.prepare('INSERT INTO api_keys (name, scope, user_id, key_prefix, key_hash, created_at) VALUES (?, ?, ?, ?, ?, ?)')
    .bind(`test ${scope}`, scope, userId, k.prefix, k.hash, Date.now())
    .run();
  return { authorization: `ApiKey ${k.key}`, 'content-type': 'application/json' };
}

/** A JSON request with these headers; `body` is the parsed JSON, or the text when it is not JSON. */
export async function callJson(method: string, path: string, headers: Record<string, string>, json?: unknown) {
  const res = await api(path, { method, headers, json });
  const text = await res.text();
  let body: any = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body, text, headers: res.headers };
}
