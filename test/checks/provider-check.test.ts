import { env, SELF } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestUser, type TestUser } from '../support/auth.ts';
import { seedCredential } from '../pool/support.ts';
import { PROVIDER_CHECKS } from '../../src/arenas/registry.ts';
import { checkRequest } from '../../src/checks/provider-check.ts';
import { app } from '../../src/index.ts';

/** A canary key: it may appear in the request to the provider stand-in, and nowhere else. */
const CANARY = 'CANARY-openrouter-key-7f3a9c';
const STAND_IN = 'https://openrouter.ai';

let admin: TestUser;
/** Every outbound request the Worker made, with its full text (url, headers, body). */
let sent: { url: string; text: string }[];
let answer: () => Response | Promise<Response>;

beforeEach(async () => {
  await env.DB.prepare('DELETE FROM api_credentials').run();
  await env.DB.prepare('DELETE FROM credential_checks').run();
  admin = await createTestUser('admin');
  sent = [];
  // The provider stand-in: an outbound fetch mock in workerd (the Worker and the test share the isolate).
  vi.spyOn(globalThis, 'fetch').mockImplementation(async function (this: unknown, input: RequestInfo | URL, init?: RequestInit) {
    // As workerd's own fetch does: called as a method of another object, it refuses.
    if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation: function called with incorrect `this` reference.');
    const req = new Request(input, init);
    const lines: string[] = [];
    for (const [k, v] of req.headers) lines.push(`${k}: ${v}`);
    const headers = lines.join('\n');
    sent.push({ url: req.url, text: `${req.method} ${req.url}\n${headers}\n${await req.text()}` });
    return answer();
  });
});
afterEach(() => vi.restoreAllMocks());

const check = (id: number, user: TestUser = admin) => SELF.fetch(`https://vault.test/api/credentials/${id}/check`, { method: 'POST', headers: user.headers });

async function openrouter(): Promise<number> {
  return seedCredential({ platform: 'openrouter', tier: 'medium', fields: { api_key: CANARY } });
}

describe('check with provider', () => {
  it.each([
    [200, 'ok'],
    [401, 'auth_failed'],
    [403, 'auth_failed'],
    [429, 'rate_limited'],
    [503, 'unreachable'],
    [302, 'unreachable'],
  ] as const)('HTTP %i from the provider → %s, stored and audited, the key never echoed', async (status, result) => {
    answer = () => new Response(`{"echo":"${CANARY}"}`, { status, headers: status === 302 ? { location: 'https://elsewhere.test/' } : {} });
    const id = await openrouter();
    const r = await check(id);
    expect(r.status).toBe(200);
    const text = await r.text();
    const body = JSON.parse(text);
    expect(body).toEqual({ result, checked_at: expect.any(String), detail: expect.stringMatching(new RegExp(`^HTTP ${status}: `)) });
    expect(text).not.toContain(CANARY);
    // One call, to the provider's documented endpoint, with the key in its Authorization header only.
    expect(sent).toHaveLength(1);
    expect(sent[0]!.url).toBe(`${STAND_IN}/api/v1/key`);
    expect(sent[0]!.text).toContain(`authorization: Bearer ${CANARY}`);
    const stored = await env.DB.prepare('SELECT * FROM credential_checks WHERE credential_id = ?').bind(id).first<Record<string, unknown>>();
    expect(stored).toMatchObject({ result, detail: body.detail });
    const audit = await env.DB.prepare("SELECT detail FROM audit_events WHERE action = 'credential.check' AND target = ?").bind(`credential:${id}`).all();
    expect(audit.results).toHaveLength(1);
    expect(JSON.stringify(audit.results)).not.toContain(CANARY);
    // The credential page shows the last check, never the key.
    const page = await SELF.fetch(`https://vault.test/admin/credentials/${id}`, { headers: { authorization: admin.headers.authorization! } });
    const html = await page.text();
    expect(html).toContain(result);
    expect(html).not.toContain(CANARY);
  });

  it('no answer (network error) → unreachable, with no error text that could carry the key', async () => {
    answer = () => {
      throw new TypeError(`connect failed for ${CANARY}`);
    };
    const body = await (await check(await openrouter())).json();
    expect(body).toMatchObject({ result: 'unreachable', detail: 'no answer from the provider (network error or timeout)' });
    expect(JSON.stringify(body)).not.toContain(CANARY);
  });

  it('a platform without a cheap read-only endpoint → unsupported, and nothing is sent', async () => {
    const id = await seedCredential({
      platform: 'telegram',
      tier: 'free',
      fields: { api_id: '12345', api_hash: 'CANARY-telegram-hash-000', session_string: 'CANARY-telegram-session-0000' },
    });
    const body = await (await check(id)).json();
    expect(body).toMatchObject({ result: 'unsupported' });
    expect(sent).toHaveLength(0);
  });

  it('is for admins only, and 404 for an unknown credential', async () => {
    answer = () => new Response('{}', { status: 200 });
    const id = await openrouter();
    const researcher = await createTestUser('researcher');
    expect((await check(id, researcher)).status).toBe(403);
    expect((await SELF.fetch(`https://vault.test/api/credentials/${id}/check`, { method: 'POST' })).status).toBe(401);
    expect((await check(999999)).status).toBe(404);
    expect(sent).toHaveLength(0);
  });
});

describe('PROVIDER_CHECK_ORIGIN (tests only)', () => {
  it('replaces every provider origin and keeps the path and query', () => {
    for (const [platform, c] of Object.entries(PROVIDER_CHECKS)) {
      const fields = new Proxy({}, { get: () => 'x-value' }) as Record<string, string>;
      const req = checkRequest(c, fields, 'http://127.0.0.1:8999');
      const want = new URL(c.url);
      expect(new URL(req.url).origin, platform).toBe('http://127.0.0.1:8999');
      expect(new URL(req.url).pathname, platform).toBe(want.pathname);
      expect(req.redirect, platform).toBe('manual');
      expect(c.docs, platform).toMatch(/^https:\/\//);
    }
  });

  it('sends the check to the stand-in origin, and /api/health warns, naming the var and saying it is for tests', async () => {
    answer = () => new Response('{}', { status: 200 });
    const id = await openrouter();
    const testEnv = { ...env, PROVIDER_CHECK_ORIGIN: 'http://127.0.0.1:8999' };
    const ctx = { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext;
    const r = await app.fetch(new Request(`https://vault.test/api/credentials/${id}/check`, { method: 'POST', headers: admin.headers }), testEnv, ctx);
    expect(((await r.json()) as { result: string }).result).toBe('ok');
    expect(sent.map((s) => s.url)).toEqual(['http://127.0.0.1:8999/api/v1/key']);

    const health = (await (await app.fetch(new Request('https://vault.test/api/health'), testEnv, ctx)).json()) as {
      warnings?: { code: string; message: string }[];
    };
    expect(health.warnings).toHaveLength(1);
    expect(health.warnings![0]!.message).toContain('PROVIDER_CHECK_ORIGIN');
    expect(health.warnings![0]!.message).toMatch(/tests only/);
    expect(JSON.stringify(health)).not.toContain('127.0.0.1:8999');
    const plain = (await (await SELF.fetch('https://vault.test/api/health')).json()) as { warnings?: unknown };
    expect(plain.warnings).toBeUndefined();
  });
});

describe('runDailyChecks (for the cron)', () => {
  it('does nothing unless DAILY_PROVIDER_CHECKS is "true"; then checks each active credential once per UTC day', async () => {
    const { runDailyChecks } = await import('../../src/checks/daily.ts');
    answer = () => new Response('{}', { status: 401 });
    const a = await openrouter();
    const b = await openrouter();
    await seedCredential({ platform: 'openrouter', tier: 'medium', fields: { api_key: CANARY }, isActive: false });
    expect(await runDailyChecks(env)).toBe(0);
    expect(sent).toHaveLength(0);
    const on = { ...env, DAILY_PROVIDER_CHECKS: 'true' };
    expect(await runDailyChecks(on)).toBe(2);
    expect(sent).toHaveLength(2);
    expect(await runDailyChecks(on)).toBe(0);
    const { results } = await env.DB.prepare('SELECT credential_id, result FROM credential_checks ORDER BY credential_id').all();
    expect(results).toEqual([
      { credential_id: a, result: 'auth_failed' },
      { credential_id: b, result: 'auth_failed' },
    ]);
  });
});
