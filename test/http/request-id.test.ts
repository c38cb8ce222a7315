/**
 * Every response carries X-Request-Id (API ok, API error, page, 404, 500);
 * every error body repeats it as error.request_id; the log line of an error
 * carries it; a 500 logs the error's class, code and where it was thrown,
 * and nothing from the request.
 */
import { env, SELF } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Hono } from 'hono';
import { createApp } from '../../src/http/app.ts';
import type { AppEnv } from '../../src/http/types.ts';
import { renderErrorPage } from '../../src/ui/routes.tsx';
import { createTestUser } from '../support/auth.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CANARY = 'CANARY-request-3f2e1d';

const get = (path: string, init: RequestInit = {}) => SELF.fetch(`https://vault.test${path}`, { redirect: 'manual', ...init });

describe('X-Request-Id', () => {
  afterEach(() => vi.restoreAllMocks());

  it('on an API answer, fresh for each request', async () => {
    const admin = await createTestUser('admin');
    const a = await get('/api/alerts', { headers: admin.headers });
    const b = await get('/api/alerts', { headers: admin.headers });
    expect(a.status).toBe(200);
    expect(a.headers.get('X-Request-Id')).toMatch(UUID);
    expect(b.headers.get('X-Request-Id')).not.toBe(a.headers.get('X-Request-Id'));
  });

  it("on an API error, in error.request_id and in the error's log line", async () => {
    const lines: string[] = [];
    for (const m of ['info', 'warn', 'error'] as const) vi.spyOn(console, m).mockImplementation((s: unknown) => void lines.push(String(s)));
    const res = await get('/api/alerts');
    expect(res.status).toBe(401);
    const id = res.headers.get('X-Request-Id');
    expect(id).toMatch(UUID);
    expect(((await res.json()) as { error: { request_id: string } }).error.request_id).toBe(id);
    expect(lines.map((l) => JSON.parse(l)).filter((l) => l.code === 'UNAUTHENTICATED')[0]).toMatchObject({ request_id: id });
  });

  it('on a page, a redirect and a 404 (API and page)', async () => {
    expect((await get('/login')).headers.get('X-Request-Id')).toMatch(UUID);
    expect((await get('/admin/alerts')).headers.get('X-Request-Id')).toMatch(UUID); // 303 to the login
    const api404 = await get('/api/no-such-route');
    expect(api404.status).toBe(404);
    expect(((await api404.json()) as { error: { request_id: string } }).error.request_id).toBe(api404.headers.get('X-Request-Id'));
    const page404 = await get('/no-such-page');
    expect(page404.status).toBe(404);
    expect(page404.headers.get('X-Request-Id')).toMatch(UUID);
    expect(await page404.text()).toContain(`<code>${page404.headers.get('X-Request-Id')}</code>`);
  });

  it('on a 500, whose log line names class, code and where it was thrown, never a value from the request', async () => {
    const lines: string[] = [];
    for (const m of ['info', 'warn', 'error'] as const) vi.spyOn(console, m).mockImplementation((s: unknown) => void lines.push(String(s)));
    const boom = new Hono<AppEnv>();
    boom.post('/api/boom', async (c) => {
      const body = await c.req.text();
      const e = new RangeError(`bad input ${body}`) as RangeError & { code: string };
      e.code = 'ERR_BOOM';
      throw e;
    });
    boom.get('/boom', () => {
      throw new TypeError(`page failed ${CANARY}`);
    });
    const app = createApp({ authenticate: async (_c, next) => next(), routes: [boom], renderErrorPage });
    const res = await app.request('/api/boom', { method: 'POST', body: CANARY, headers: { 'content-type': 'text/plain', 'x-custom': CANARY } }, env);
    expect(res.status).toBe(500);
    const id = res.headers.get('X-Request-Id');
    expect(id).toMatch(UUID);
    const text = await res.text();
    expect(text).not.toContain(CANARY);
    expect(JSON.parse(text)).toMatchObject({ error: { code: 'INTERNAL', request_id: id } });
    const line = lines.map((l) => JSON.parse(l)).find((l) => l.code === 'INTERNAL');
    expect(line).toMatchObject({ level: 'error', request_id: id, status: 500, error_class: 'RangeError', error_code: 'ERR_BOOM' });
    expect(line.thrown_at).toMatch(/request-id\.test\.ts|:\d+:\d+/);
    expect(lines.join('\n')).not.toContain(CANARY);

    const page = await app.request('/boom', {}, env);
    expect(page.status).toBe(500);
    expect(page.headers.get('X-Request-Id')).toMatch(UUID);
    expect(await page.text()).not.toContain(CANARY);
    expect(lines.join('\n')).not.toContain(CANARY);
  });
});
