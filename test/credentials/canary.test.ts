// Canary secrets planted through every credential route (REST and pages,
// valid and invalid) must never come back: not in a response body, a page,
// an audit event, or anything logged to the console during the test.
// Hintable fields may show their last 4 characters by design, so the check
// is on everything before those 4.
import { env } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { api, createTestUser, type TestUser } from '../support/auth.ts';
import { call, pageSession, type PageSession } from './support.ts';

const tag = crypto.randomUUID().replace(/-/g, '').slice(0, 12);
const canary = (n: number) => `CANARY${tag}n${n}-0123456789-TAIL`;
const planted: string[] = [];
const plant = (n: number) => {
  const c = canary(n);
  planted.push(c);
  return c;
};

const seen: string[] = [];
const logged: string[] = [];
let admin: TestUser;
let page: PageSession;

function record(text: string) {
  seen.push(text);
}

beforeAll(async () => {
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[level].bind(console);
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      logged.push(args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? `${a.message} ${a.stack}` : JSON.stringify(a))).join(' '));
      original(...args);
    });
  }
  admin = await createTestUser('admin');
  page = await pageSession(admin);
});

afterAll(() => {
  vi.restoreAllMocks();
});

async function rest(method: string, path: string, json?: unknown) {
  const r = await call(admin, method, path, json);
  record(r.text);
  return r;
}

async function get(path: string) {
  const r = await page.get(path);
  record(r.html);
  return r;
}

async function post(path: string, form: Record<string, string>) {
  const r = await page.post(path, form);
  record(r.html);
  if (r.flash) record(r.flash);
  if (r.flash) record((await page.get(r.headers.get('location') ?? '/admin/credentials', r.flashCookie)).html);
  return r;
}

describe('canary secrets', () => {
  it('never leave the vault through any route, page, audit event or log line', async () => {
    // REST: create, invalid creates, replace, invalid replace, patch, actions, verify, list, get, delete.
    const serper = await rest('POST', '/api/credentials', {
      platform: 'serper',
      tier: 'medium',
      credential_name: 'canary serper',
      fields: { api_key: plant(1) },
    });
    expect(serper.status).toBe(201);
    const reddit = await rest('POST', '/api/credentials', {
      platform: 'reddit',
      tier: 'free',
      credential_name: 'canary reddit',
      fields: { client_id: 'public-client-id', client_secret: plant(2), user_agent: 'research/1.0' },
    });
    const x = await rest('POST', '/api/credentials', {
      platform: 'x_twitter',
      tier: 'premium',
      credential_name: 'canary x',
      fields: { bearer_token: plant(3), api_key: plant(4), api_secret: plant(5) },
    });
    expect(x.status).toBe(201);
    expect(
      (await rest('POST', '/api/credentials', { platform: 'serper', tier: 'medium', credential_name: 'bad', fields: { api_key: plant(6), extra: plant(7) } }))
        .status,
    ).toBe(422);
    expect(
      (await rest('POST', '/api/credentials', { platform: 'serper', tier: 'free', credential_name: 'bad tier', fields: { api_key: plant(8) } })).status,
    ).toBe(422);
    expect(
      (
        await rest('POST', '/api/credentials', {
          platform: 'telegram',
          tier: 'free',
          credential_name: 'bad',
          fields: { api_id: plant(9), api_hash: plant(10), session_string: 'x' },
        })
      ).status,
    ).toBe(422);
    const badJson = await api('/api/credentials', { method: 'POST', headers: admin.headers, body: `{"fields":{"api_key":"${plant(11)}"` });
    record(await badJson.text());
    expect(badJson.status).toBe(400);
    const id = serper.body.id;
    expect((await rest('PUT', `/api/credentials/${id}/secret`, { fields: { api_key: plant(12) } })).status).toBe(200);
    expect((await rest('PUT', `/api/credentials/${id}/secret`, { fields: { api_key: plant(13), bogus: plant(14) } })).status).toBe(422);
    expect((await rest('PATCH', `/api/credentials/${id}`, { fields: { api_key: plant(15) } })).status).toBe(422);
    await rest('PATCH', `/api/credentials/${id}`, { notes: 'rotated', daily_quota: 10 });
    for (const a of ['deactivate', 'activate', 'reset-errors', 'verify']) await rest('POST', `/api/credentials/${id}/${a}`);
    await rest('POST', `/api/credentials/${reddit.body.id}/verify`);
    await rest('GET', '/api/credentials');
    await rest('GET', `/api/credentials/${x.body.id}`);

    // Pages: add (valid and invalid), replace (valid and invalid), every view.
    await post('/admin/credentials/new?platform=bluesky', {
      tier: 'free',
      credential_name: 'canary bsky',
      field_handle: 'me.bsky.social',
      field_app_password: plant(16),
    });
    await post('/admin/credentials/new?platform=serper', { tier: 'medium', credential_name: 'bad form', field_api_key: plant(17), field_unknown: plant(18) });
    await post('/admin/credentials/new?platform=twitch', { tier: 'free', credential_name: '', field_client_id: 'twitch-id', field_client_secret: plant(19) });
    await post(`/admin/credentials/${id}/secret`, { field_api_key: plant(20) });
    await post(`/admin/credentials/${reddit.body.id}/secret`, { field_client_id: 'x', field_client_secret: plant(21), field_user_agent: '' });
    for (const a of ['verify', 'deactivate', 'activate', 'reset-errors']) await post(`/admin/credentials/${x.body.id}/${a}`, {});
    await get('/admin/credentials');
    await get('/admin/credentials?platform=x_twitter');
    await get(`/admin/credentials/${id}/secret`);
    await get(`/admin/credentials/${id}/edit`);
    await get(`/admin/credentials/${id}/delete`);
    await post(`/admin/credentials/${x.body.id}/delete`, { confirm: 'yes' });
    expect((await rest('DELETE', `/api/credentials/${reddit.body.id}`)).status).toBe(200);

    // The audit log, through its API, its page and the raw table.
    await rest('GET', '/api/audit?limit=200');
    await get('/admin/audit?limit=200');
    const { results } = await env.DB.prepare('SELECT actor, action, target, ip, detail FROM audit_events').all();
    record(JSON.stringify(results));
    expect(results.length).toBeGreaterThan(10);

    // The spy saw the error-handler lines, so it was listening.
    expect(logged.some((l) => l.includes('VALIDATION_FAILED'))).toBe(true);
    expect(planted.length).toBe(21);
    const everything = [...seen, ...logged].join('\n');
    expect(everything.length).toBeGreaterThan(10_000);
    for (const c of planted) {
      expect(everything.includes(c.slice(0, -4)), `canary ${c.slice(0, 20)}… leaked`).toBe(false);
    }
    expect(everything).not.toContain(`CANARY${tag}`);
    // Sanity: the hint (last 4) of a hintable key is allowed and does appear.
    expect(everything).toContain('TAIL');
  });
});
