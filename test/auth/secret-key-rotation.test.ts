// Walks through the zero-downtime SECRET_KEY rotation of docs/operations/secrets.md:
//   1. key A is current;
//   2. `wrangler secret bulk` puts SECRET_KEY=B, SECRET_KEY_PREVIOUS=A: old tokens,
//      cookies and form tokens keep working, new ones are signed with B, and
//      /api/health says when A can go;
//   3. SECRET_KEY_PREVIOUS is deleted: tokens under A are refused, B's work.
// Each step calls the Worker with the env the operator would have deployed.
import { createExecutionContext, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { decodeProtectedHeader } from 'jose';
import worker from '../../src/index.ts';
import { keyIdOf } from '../../src/crypto/key-id.ts';
import { hexEncode } from '../../src/crypto/encoding.ts';
import { CLOCK_LEEWAY_SECONDS, issueAccessToken } from '../../src/auth/tokens.ts';
import { loadConfig } from '../../src/config.ts';
import { TEST_SECRET_KEY as KEY_A, TEST_SECRET_KEY_2 as KEY_B } from '../support/keys.ts';
import { ORIGIN, cookieValue, setCookies, userWithPassword } from './support.ts';

const kid = (k: string) => keyIdOf(new TextEncoder().encode(k));
const step1 = { ...env, SECRET_KEY: KEY_A, SECRET_KEY_PREVIOUS: undefined };
const step2 = { ...env, SECRET_KEY: KEY_B, SECRET_KEY_PREVIOUS: KEY_A };
const step3 = { ...env, SECRET_KEY: KEY_B, SECRET_KEY_PREVIOUS: undefined };

function call(e: typeof env, path: string, init: RequestInit = {}) {
  return worker.fetch(new Request(`${ORIGIN}${path}`, { redirect: 'manual', ...init }), e, createExecutionContext());
}

async function apiLogin(e: typeof env, email: string, password: string) {
  const res = await call(e, '/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': '10.9.8.7' },
    body: JSON.stringify({ email, password }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

const exp = (token: string) => JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))).exp as number;
const me = (e: typeof env, token: string) => call(e, '/api/auth/me', { headers: { authorization: `Bearer ${token}` } });
type Health = { keys: { secret_key: Record<string, unknown> } };
const health = async (e: typeof env) => ((await (await call(e, '/api/health')).json()) as Health).keys.secret_key;

describe('rotating SECRET_KEY with zero downtime', () => {
  it('old tokens stay valid during the overlap and are refused once the previous key is removed', async () => {
    const u = await userWithPassword('admin');

    // Step 1: A is the only key.
    const tokenA = await apiLogin(step1, u.email, u.password);
    expect(decodeProtectedHeader(tokenA).kid).toBe(kid(KEY_A));
    const formA = await call(step1, '/login');
    const csrfCookie = cookieValue(formA, '__Host-av_csrf')!;
    const csrfTokenA = /name="csrf_token" value="([^"]+)"/.exec(await formA.text())![1]!;
    const loginA = await call(step1, '/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, cookie: `__Host-av_csrf=${csrfCookie}`, 'cf-connecting-ip': '10.9.8.7' },
      body: new URLSearchParams({ csrf_token: csrfTokenA, email: u.email, password: u.password }).toString(),
    });
    const sessionA = cookieValue(loginA, '__Host-av_session')!;
    expect(decodeProtectedHeader(sessionA).kid).toBe(kid(KEY_A));
    expect(await health(step1)).toMatchObject({
      verification_keys: 1,
      previous_key_removable_after: null,
      previous_key_removable_now: null,
      previous_key_removal_basis: 'no_previous_key',
    });

    // Step 2: B current, A previous (one `wrangler secret bulk`).
    expect((await me(step2, tokenA)).status).toBe(200);
    const page = await call(step2, '/admin/users', { headers: { cookie: `__Host-av_session=${sessionA}` } });
    expect(page.status).toBe(200);
    const tokenB = await apiLogin(step2, u.email, u.password);
    expect(decodeProtectedHeader(tokenB).kid).toBe(kid(KEY_B));
    // A form opened before the switch still posts (its CSRF token was made under A).
    const logout = await call(step2, '/logout', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN, cookie: `__Host-av_csrf=${csrfCookie}; __Host-av_session=${sessionA}` },
      body: new URLSearchParams({ csrf_token: csrfTokenA }).toString(),
    });
    expect(logout.status).toBe(303);
    const h2 = await health(step2);
    const lastA = Math.max(exp(tokenA), exp(sessionA));
    expect(h2).toEqual({
      current_kid: kid(KEY_B),
      previous_kids: [kid(KEY_A)],
      verification_keys: 2,
      previous_key_removable_after: new Date((lastA + CLOCK_LEEWAY_SECONDS) * 1000).toISOString(),
      previous_key_removable_now: false,
      previous_key_removal_basis: 'recorded_token_expiry',
    });

    // Step 3: SECRET_KEY_PREVIOUS deleted.
    const refused = await me(step3, tokenA);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    const oldCookie = await call(step3, '/admin/users', { headers: { cookie: `__Host-av_session=${sessionA}` } });
    expect(oldCookie.status).toBe(303);
    expect(oldCookie.headers.get('location')).toBe('/login?next=%2Fadmin%2Fusers');
    expect((await me(step3, tokenB)).status).toBe(200);
    expect(await health(step3)).toMatchObject({ verification_keys: 1, previous_key_removal_basis: 'no_previous_key' });
  });

  it('sliding renewal during the overlap moves a browser session onto the new key', async () => {
    const u = await userWithPassword('researcher');
    const configA = await loadConfig(step1);
    const old = await issueAccessToken(configA, { id: u.id, role: 'researcher', tokenVersion: 0 }, 'password', Math.floor(Date.now() / 1000) - 20 * 60);
    const res = await call(step2, '/api/auth/me', { headers: { cookie: `__Host-av_session=${old.token}` } });
    expect(res.status).toBe(200);
    const renewed = setCookies(res).find((c) => c.name === '__Host-av_session')!;
    expect(decodeProtectedHeader(renewed.value).kid).toBe(kid(KEY_B));
    expect((await call(step3, '/api/auth/me', { headers: { cookie: `__Host-av_session=${renewed.value}` } })).status).toBe(200);
  });

  it('health falls back to the current key’s first token when a previous key left no record', async () => {
    const u = await userWithPassword('researcher');
    await apiLogin(step2, u.email, u.password); // B has signed at least one token
    const keyC = hexEncode(crypto.getRandomValues(new Uint8Array(32)));
    const withC = { ...env, SECRET_KEY: KEY_B, SECRET_KEY_PREVIOUS: keyC };
    const first = await env.DB.prepare('SELECT first_signed_at FROM signing_key_usage WHERE kid = ?').bind(kid(KEY_B)).first<{ first_signed_at: number }>();
    const h = await health(withC);
    expect(h.previous_kids).toEqual([kid(keyC)]);
    expect(h.previous_key_removal_basis).toBe('current_key_first_use');
    expect(h.previous_key_removable_after).toBe(new Date(first!.first_signed_at + 30 * 60_000 + CLOCK_LEEWAY_SECONDS * 1000).toISOString());
    const text = JSON.stringify(h);
    for (const k of [KEY_A, KEY_B, keyC]) expect(text).not.toContain(k);
  });
});
