// The browser side: the /login form, the session cookie's exact attributes,
// `next` handling, CSRF refusals, sliding renewal, logout, redirects and 403s.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { issueAccessToken } from '../../src/auth/tokens.ts';
import { ORIGIN, browserLogin, cookieValue, openForm, postForm, setCookies, userWithPassword } from './support.ts';

let ipSeq = 0;
const ip = () => ({ 'cf-connecting-ip': `192.0.2.${++ipSeq}` });

describe('GET /login', () => {
  it('is a labelled form that works without JavaScript, with a CSRF field bound to a pre-session cookie', async () => {
    const res = await SELF.fetch(`${ORIGIN}/login`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<form method="post" action="/login"');
    expect(html).toMatch(/<label for="login-email">Email<\/label>/);
    expect(html).toMatch(/<input id="login-email" name="email" type="email" autocomplete="username webauthn" required=""/);
    expect(html).toMatch(/<label for="login-password">Password<\/label>/);
    expect(html).toMatch(/<input id="login-password" name="password" type="password" autocomplete="current-password" required=""/);
    expect(html).toMatch(/<input type="hidden" name="csrf_token" value="[A-Za-z0-9_-]{43}="/);
    // The password form needs no script; the only scripts are the passkey files (no inline script).
    expect([...html.matchAll(/<script[^>]*>/g)].map((m) => /src="([^"]+)"/.exec(m[0])?.[1])).toEqual([
      '/assets/passkeys/simplewebauthn-browser.js',
      '/assets/passkeys/passkeys.js',
    ]);
    const csrf = setCookies(res).find((c) => c.name === '__Host-av_csrf')!;
    expect(csrf.attrs.has('httponly') && csrf.attrs.has('secure') && csrf.attrs.get('samesite') === 'Strict' && csrf.attrs.get('path') === '/').toBe(true);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'nonce-/);
    expect(csp).not.toContain('unsafe-inline');
  });

  it('carries a safe `next` into the form and drops an unsafe one', async () => {
    const ok = await (await SELF.fetch(`${ORIGIN}/login?next=${encodeURIComponent('/admin/users?x=1&y=2')}`)).text();
    expect(ok).toContain('<input type="hidden" name="next" value="/admin/users?x=1&amp;y=2"/>');
    const evil = await (await SELF.fetch(`${ORIGIN}/login?next=${encodeURIComponent('//evil.example/')}`)).text();
    expect(evil).not.toContain('name="next"');
  });

  it('renders an odd spelling of `next` only as its local normalised path (never "//host")', async () => {
    for (const raw of ['/.//evil.example', '/a/..//evil.example', '/%2e//evil.example']) {
      const html = await (await SELF.fetch(`${ORIGIN}/login?next=${encodeURIComponent(raw)}`)).text();
      expect(html).toContain('<input type="hidden" name="next" value="/evil.example"/>');
      expect(html).not.toContain('value="//');
    }
  });
});

describe('POST /login', () => {
  it('sets the session cookie with exact attributes and redirects to /admin/credentials', async () => {
    const u = await userWithPassword('admin');
    const form = await openForm();
    const res = await postForm('/login', form, { email: u.email, password: u.password }, ip());
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/credentials');
    const session = setCookies(res).filter((c) => c.name === '__Host-av_session');
    expect(session).toHaveLength(1);
    const c = session[0]!;
    expect([...c.attrs.keys()].sort()).toEqual(['httponly', 'max-age', 'path', 'samesite', 'secure']);
    expect(c.attrs.get('max-age')).toBe('1800');
    expect(c.attrs.get('path')).toBe('/');
    expect(c.attrs.get('samesite')).toBe('Strict');
    expect(c.raw).not.toMatch(/domain=/i);
    // The cookie is a working session.
    const page = await SELF.fetch(`${ORIGIN}/admin/users`, { headers: { cookie: `__Host-av_session=${c.value}` } });
    expect(page.status).toBe(200);
  });

  it('follows a local `next` and ignores any other', async () => {
    const u = await userWithPassword('admin');
    for (const [next, expected] of [
      ['/admin/users?tab=1', '/admin/users?tab=1'],
      ['//evil.example/steal', '/admin/credentials'],
      ['https://evil.example/', '/admin/credentials'],
      ['/\\evil.example', '/admin/credentials'],
      ['/.//evil.example', '/evil.example'],
    ] as const) {
      const res = await postForm('/login', await openForm(), { email: u.email, password: u.password, next }, ip());
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(expected);
    }
  });

  it('wrong credentials re-show the form with one generic message; the email is kept (escaped), the password never', async () => {
    const u = await userWithPassword('admin');
    const wrong = await postForm('/login', await openForm(), { email: u.email, password: 'canary-typed-password' }, ip());
    const missing = await postForm('/login', await openForm(), { email: 'x"><script>alert(1)</script>@example.test', password: 'canary-typed-password' }, ip());
    for (const res of [wrong, missing]) {
      expect(res.status).toBe(401);
      expect(cookieValue(res, '__Host-av_session')).toBeUndefined();
      const html = await res.text();
      expect(html).toContain('Incorrect email or password.');
      expect(html).not.toMatch(/no such user|not found|unknown/i);
      expect(html).not.toContain('canary-typed-password');
      expect(html).not.toContain('<script>alert(1)</script>');
    }
  });

  it('after too many failures the form answers 429 with Retry-After', async () => {
    const u = await userWithPassword('researcher');
    const headers = { 'cf-connecting-ip': '192.0.2.250' };
    for (let i = 0; i < 5; i++) await postForm('/login', await openForm(), { email: u.email, password: `canary-${i}` }, headers);
    const res = await postForm('/login', await openForm(), { email: u.email, password: u.password }, headers);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await res.text()).toContain('Too many failed logins');
  });
});

describe('CSRF on the login form (and every form post)', () => {
  it('refuses a post without a token, with a wrong token, with a token for another cookie, or from another origin', async () => {
    const u = await userWithPassword('admin');
    const form = await openForm();
    const other = await openForm();
    const attempts: Response[] = [
      await postForm('/login', { ...form, csrfToken: '' }, { email: u.email, password: u.password }),
      await postForm('/login', { ...form, csrfToken: `${'A'.repeat(43)}=` }, { email: u.email, password: u.password }),
      await postForm('/login', { cookie: form.cookie, csrfToken: other.csrfToken }, { email: u.email, password: u.password }),
      await postForm('/login', form, { email: u.email, password: u.password }, { origin: 'https://evil.example' }),
      await postForm('/login', form, { email: u.email, password: u.password }, { origin: 'null', 'sec-fetch-site': 'cross-site' }),
      await postForm('/login', { cookie: '', csrfToken: form.csrfToken }, { email: u.email, password: u.password }),
    ];
    for (const res of attempts) {
      expect(res.status).toBe(403);
      expect(cookieValue(res, '__Host-av_session')).toBeUndefined();
    }
    // The same form, sent properly, works.
    expect((await postForm('/login', form, { email: u.email, password: u.password }, ip())).status).toBe(303);
  });

  it('refuses cross-site posts to /logout and to the admin forms', async () => {
    const admin = await userWithPassword('admin');
    const cookie = await browserLogin(admin, '192.0.2.201');
    const form = await openForm('/admin/users', cookie);
    const noToken = await postForm('/admin/users', { ...form, csrfToken: '' }, { email: 'csrf@example.test', password: 'a long enough pw', role: 'admin' });
    expect(noToken.status).toBe(403);
    const cross = await postForm('/logout', form, {}, { origin: 'https://evil.example' });
    expect(cross.status).toBe(403);
    expect(await env.DB.prepare("SELECT 1 FROM users WHERE email = 'csrf@example.test'").first()).toBeNull();
  });

  it('a session cookie does not authenticate a cross-site state change on the JSON API', async () => {
    const u = await userWithPassword('researcher');
    const cookie = await browserLogin(u, '192.0.2.202');
    const cross = await SELF.fetch(`${ORIGIN}/api/auth/logout-all`, {
      method: 'POST',
      headers: { cookie, origin: 'https://evil.example', 'content-type': 'text/plain' },
    });
    expect(cross.status).toBe(401);
    const same = await SELF.fetch(`${ORIGIN}/api/auth/me`, { headers: { cookie } });
    expect(same.status).toBe(200);
  });
});

describe('sessions in the browser', () => {
  it('pages redirect an unauthenticated browser to /login?next=…; the API answers 401 JSON', async () => {
    const page = await SELF.fetch(`${ORIGIN}/admin/api-keys?sort=name`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2Fadmin%2Fapi-keys%3Fsort%3Dname');
    const api = await SELF.fetch(`${ORIGIN}/api/users`);
    expect(api.status).toBe(401);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
  });

  it('researchers get 403 on admin pages and admin API routes', async () => {
    const r = await userWithPassword('researcher');
    const cookie = await browserLogin(r, '192.0.2.203');
    for (const path of ['/admin/users', '/admin/api-keys']) {
      const res = await SELF.fetch(`${ORIGIN}${path}`, { headers: { cookie }, redirect: 'manual' });
      expect(res.status).toBe(403);
    }
    for (const path of ['/api/users', '/api/api-keys']) {
      const res = await SELF.fetch(`${ORIGIN}${path}`, { headers: { cookie } });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    }
  });

  it('sliding renewal: a cookie past half its life is re-issued under the current key; a fresh one is not', async () => {
    const u = await userWithPassword('admin');
    const config = await loadConfig(env);
    const now = Math.floor(Date.now() / 1000);
    const young = await issueAccessToken(config, { id: u.id, role: 'admin', tokenVersion: 0 }, 'password', now - 60);
    const old = await issueAccessToken(config, { id: u.id, role: 'admin', tokenVersion: 0 }, 'password', now - 16 * 60);
    const r1 = await SELF.fetch(`${ORIGIN}/api/auth/me`, { headers: { cookie: `__Host-av_session=${young.token}` } });
    expect(r1.status).toBe(200);
    expect(cookieValue(r1, '__Host-av_session')).toBeUndefined();
    const r2 = await SELF.fetch(`${ORIGIN}/admin/users`, { headers: { cookie: `__Host-av_session=${old.token}` } });
    expect(r2.status).toBe(200);
    const renewed = setCookies(r2).find((c) => c.name === '__Host-av_session')!;
    expect(renewed.value).not.toBe(old.token);
    expect(renewed.attrs.get('max-age')).toBe('1800');
    const claims = JSON.parse(atob(renewed.value.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')));
    expect(claims.iat).toBeGreaterThanOrEqual(now);
    expect(claims.method).toBe('password');
    const usage = await env.DB.prepare('SELECT last_expires_at FROM signing_key_usage WHERE kid = ?')
      .bind(config.signingKeys.current.kid)
      .first<{ last_expires_at: number }>();
    expect(usage!.last_expires_at).toBeGreaterThanOrEqual(claims.exp * 1000);
  });

  it('sliding renewal keeps the sign-in method (a refresh proves nothing new)', async () => {
    const u = await userWithPassword('researcher');
    const config = await loadConfig(env);
    const old = await issueAccessToken(config, { id: u.id, role: 'researcher', tokenVersion: 0 }, 'passkey', Math.floor(Date.now() / 1000) - 16 * 60);
    const res = await SELF.fetch(`${ORIGIN}/api/auth/me`, { headers: { cookie: `__Host-av_session=${old.token}` } });
    expect(res.status).toBe(200);
    const renewed = cookieValue(res, '__Host-av_session')!;
    expect(renewed).toBeTruthy();
    expect(JSON.parse(atob(renewed.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))).method).toBe('passkey');
  });

  it('POST /logout clears the cookie, redirects to /login and is audited', async () => {
    const u = await userWithPassword('researcher');
    const cookie = await browserLogin(u, '192.0.2.204');
    const form = await openForm('/login', cookie).catch(() => null);
    // Logged in, /login redirects away; take the token from any page with a form.
    expect(form).toBeNull();
    const page = await openForm('/account/password', cookie);
    const res = await postForm('/logout', page, {});
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login');
    const cleared = setCookies(res).find((c) => c.name === '__Host-av_session')!;
    expect(cleared.value).toBe('');
    expect(cleared.attrs.get('max-age')).toBe('0');
    expect(await env.DB.prepare("SELECT 1 FROM audit_events WHERE action = 'auth.logout' AND actor = ?").bind(`user:${u.id}`).first()).not.toBeNull();
  });

  it('/account/password lets a user replace a temporary password', async () => {
    const u = await userWithPassword('researcher');
    const cookie = await browserLogin(u, '192.0.2.205');
    const form = await openForm('/account/password', cookie);
    const html = await (await SELF.fetch(`${ORIGIN}/account/password`, { headers: { cookie } })).text();
    expect(html).toMatch(/<label for="current-password">/);
    expect(html).toMatch(/name="current_password" type="password" autocomplete="current-password"/);
    expect(html).toMatch(/name="new_password" type="password" autocomplete="new-password"/);
    const next = `canary-next-${crypto.randomUUID()}`;
    const res = await postForm('/account/password', form, { current_password: u.password, new_password: next, confirm_password: next });
    expect(res.status).toBe(303);
    expect(cookieValue(res, '__Host-av_session')).toBeTruthy();
    const again = await postForm('/login', await openForm(), { email: u.email, password: next }, ip());
    expect(again.status).toBe(303);
  });
});
