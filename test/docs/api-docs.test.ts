// The API reference page (/api/docs): public, rendered by the Worker, its own
// Content-Security-Policy for that one path while every other response keeps
// the strict one, and the admin header's link to it. That Swagger UI really
// renders under this policy in Chromium is test/e2e/flows/api-docs.ts.
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createTestUser } from '../support/auth.ts';
import { pageSession } from '../support/page-session.ts';
import { ORIGIN, browserLogin, setCookies, userWithPassword } from '../auth/support.ts';
import { API_DOCS_FILES } from '../../src/docs/assets.ts';

/** A CSP header as directive → sources. */
function parseCsp(header: string | null): Record<string, string[]> {
  expect(header, 'a Content-Security-Policy header').toBeTruthy();
  return Object.fromEntries(
    header!
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [name, ...sources] = d.split(/\s+/);
        return [name!, sources];
      }),
  );
}

const API_DOCS_POLICY = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'form-action': ["'none'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
};

/** The app's policy everywhere else: scripts only with this response's nonce. */
function expectStrictPolicy(header: string | null, where: string) {
  const csp = parseCsp(header);
  const { 'script-src': script, ...rest } = csp;
  expect(script, where).toHaveLength(1);
  expect(script![0], where).toMatch(/^'nonce-[A-Za-z0-9+/=_-]+'$/);
  expect(rest, where).toEqual({
    'default-src': ["'none'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:'],
    'connect-src': ["'self'"],
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    'base-uri': ["'none'"],
  });
}

describe('GET /api/docs', () => {
  it('is a public HTML page that loads Swagger UI and its init script as files from /assets/api-docs/', async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/docs`, { redirect: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html.startsWith('<!doctype html><html lang="en">')).toBe(true);
    expect(html).toContain('<title>API reference · arena-vault</title>');
    expect(html).toContain('<link rel="stylesheet" href="/assets/api-docs/swagger-ui.css"/><link rel="stylesheet" href="/assets/api-docs/api-docs.css"/>');
    expect(html).toContain('<script src="/assets/api-docs/swagger-ui-bundle.js" defer=""></script>');
    expect(html).toContain('<script src="/assets/api-docs/init.js" defer=""></script>');
    expect(html).toContain('<div id="swagger-ui" data-openapi-url="/api/openapi.json"></div>');
    // Every script is a file: nothing inline, no nonce, no inline style.
    expect(html.match(/<script\b[^>]*>/g)).toEqual([
      '<script src="/assets/api-docs/swagger-ui-bundle.js" defer="">',
      '<script src="/assets/api-docs/init.js" defer="">',
    ]);
    expect(html).not.toMatch(/nonce=|\sstyle=|<style/);
    // Landmarks for the accessibility checks; a way to the document without JavaScript.
    expect(html).toContain('<a class="skip" href="#main">Skip to content</a>');
    expect(html).toMatch(/<header class="top">[\s\S]*<main id="main" tabindex="-1"><div class="intro"><h1>API reference<\/h1>/);
    expect(html).toMatch(/<noscript>[\s\S]*<a href="\/api\/openapi.json">\/api\/openapi.json<\/a>[\s\S]*<\/noscript>/);
    // Every file the page links is one the build writes (src/docs/assets.ts).
    for (const [, file] of html.matchAll(/(?:src|href)="\/assets\/api-docs\/([^"]+)"/g)) expect(Object.keys(API_DOCS_FILES)).toContain(file);
    // No page cookie: the CSRF cookie belongs to the form pages, the page has no form.
    expect(setCookies(res)).toEqual([]);
  });

  it('sends its own CSP, exactly what Swagger UI needs and no more, and the app’s other security headers', async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/docs`);
    expect(parseCsp(res.headers.get('content-security-policy'))).toEqual(API_DOCS_POLICY);
    const csp = res.headers.get('content-security-policy')!;
    for (const loose of ["'unsafe-inline'", "'unsafe-eval'", "'nonce-", '*', 'http:', 'https:', 'blob:']) expect(csp).not.toContain(loose);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=/);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('the exception is this one path: every other page, API route and near-miss path keeps the strict policy', async () => {
    const admin = await createTestUser('admin');
    for (const [path, headers] of [
      ['/login', {}],
      ['/admin/credentials', { authorization: `Bearer ${admin.token}` }],
      ['/api/health', {}],
      ['/api/openapi.json', {}],
      ['/api/docs/', {}],
      ['/api/docs/x', {}],
      ['/api/docsx', {}],
      ['/api/DOCS', {}],
      ['/api/docs/../health', {}],
    ] as const) {
      const res = await SELF.fetch(`${ORIGIN}${path}`, { headers, redirect: 'manual' });
      await res.body?.cancel();
      expectStrictPolicy(res.headers.get('content-security-policy'), `${path} (${res.status})`);
    }
  });

  it('needs no login, and a signed-in browser (session cookie) or a bearer token gets the same page', async () => {
    const anonymous = await (await SELF.fetch(`${ORIGIN}/api/docs`)).text();
    const u = await userWithPassword('researcher');
    const cookie = await browserLogin(u, '198.51.100.77');
    const withCookie = await SELF.fetch(`${ORIGIN}/api/docs`, { headers: { cookie }, redirect: 'manual' });
    expect(withCookie.status).toBe(200);
    expect(await withCookie.text()).toBe(anonymous);
    const admin = await createTestUser('admin');
    const withBearer = await SELF.fetch(`${ORIGIN}/api/docs`, { headers: { authorization: `Bearer ${admin.token}` } });
    expect(withBearer.status).toBe(200);
    // A broken credential does not turn the public page into a 401.
    const withJunk = await SELF.fetch(`${ORIGIN}/api/docs`, { headers: { authorization: 'Bearer not-a-token', cookie: '__Host-av_session=junk' } });
    expect(withJunk.status).toBe(200);
  });

  it('answers only GET (and HEAD): other methods are 404 like any unknown route, never a CSRF refusal', async () => {
    const head = await SELF.fetch(`${ORIGIN}/api/docs`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const post = await SELF.fetch(`${ORIGIN}/api/docs`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: 'a=1',
    });
    expect(post.status).toBe(404);
    expect(((await post.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });
});

describe('the admin header links to the API reference', () => {
  it('for admins and researchers, in the main navigation; not on the login page', async () => {
    for (const role of ['admin', 'researcher'] as const) {
      const user = await createTestUser(role);
      const s = await pageSession(user, '/admin/query-designs');
      const { status, html } = await s.get('/admin/query-designs');
      expect(status).toBe(200);
      const nav = /<nav class="main" aria-label="Main">([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? '';
      expect(nav, role).toContain('<a href="/api/docs">API reference</a>');
    }
    const login = await (await SELF.fetch(`${ORIGIN}/login`)).text();
    expect(login).not.toContain('/api/docs');
  });
});
