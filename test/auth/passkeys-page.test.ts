// The passkey pages through the real Worker: the login page's passkey and
// recovery-code forms, /account/passkeys, the recovery codes page, an admin
// removing a user's passkeys, and the strict CSP (scripts only by nonce).
import { createExecutionContext, env, SELF } from 'cloudflare:test';
import worker from '../../src/index.ts';
import { describe, expect, it } from 'vitest';
import { browserLogin, cookieValue, openForm, ORIGIN, postForm, userWithPassword } from './support.ts';
import { call, claimsOf, enrolled, loginOptions } from './passkey-support.ts';

async function page(path: string, cookie: string) {
  const res = await SELF.fetch(`${ORIGIN}${path}`, { headers: { cookie }, redirect: 'manual' });
  return { res, html: await res.text() };
}

describe('login page', () => {
  it('offers a passkey (conditional UI field), a recovery code, and loads the script files by nonce only', async () => {
    const res = await SELF.fetch(`${ORIGIN}/login`);
    const html = await res.text();
    expect(html).toContain('Sign in with a passkey');
    expect(html).toContain('autocomplete="username webauthn"');
    expect(html).toContain('action="/login/recovery"');
    const csp = res.headers.get('content-security-policy')!;
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    expect(csp).not.toContain('unsafe-inline');
    expect(html).toContain(`<script src="/assets/passkeys/simplewebauthn-browser.js" nonce="${nonce}" defer="">`);
    expect(html).toContain(`<script src="/assets/passkeys/passkeys.js" nonce="${nonce}" defer="">`);
    // No inline script: every <script> has a src.
    expect(html.match(/<script(?![^>]*\ssrc=)[^>]*>/g) ?? []).toEqual([]);
  });

  it('POST /login/passkey with a real assertion sets the session cookie (method passkey) and redirects to next', async () => {
    const { auth } = await enrolled();
    const form = await openForm();
    const response = await auth.assert(await loginOptions(), { origin: ORIGIN });
    const res = await postForm('/login/passkey', form, { response: JSON.stringify(response), next: '/account/passkeys' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account/passkeys');
    expect(claimsOf(cookieValue(res, '__Host-av_session')!).method).toBe('passkey');
    // The same response again: back to the login page with the refusal, no cookie.
    const again = await postForm('/login/passkey', form, { response: JSON.stringify(response) });
    expect(again.status).toBe(303);
    expect(again.headers.get('location')).toBe('/login');
    expect(cookieValue(again, '__Host-av_session')).toBeUndefined();
  });

  it('POST /login/recovery signs in with method recovery; a wrong code goes back to /login', async () => {
    const u = await userWithPassword('researcher');
    const cookie = await browserLogin(u, '198.51.100.61');
    const generated = await postForm('/account/recovery-codes', { cookie, csrfToken: (await openForm('/account/passkeys', cookie)).csrfToken }, {});
    expect(generated.status).toBe(200);
    const codes = [...(await generated.text()).matchAll(/<code>([0-9a-z-]+)<\/code>/g)].map((m) => m[1]!);
    expect(codes).toHaveLength(10);
    const form = await openForm();
    const ok = await postForm('/login/recovery', form, { email: u.email, code: codes[0]! }, { 'cf-connecting-ip': '198.51.100.62' });
    expect(ok.status).toBe(303);
    expect(claimsOf(cookieValue(ok, '__Host-av_session')!).method).toBe('recovery');
    const bad = await postForm('/login/recovery', form, { email: u.email, code: codes[0]! }, { 'cf-connecting-ip': '198.51.100.62' });
    expect(bad.headers.get('location')).toBe('/login');
    expect(cookieValue(bad, '__Host-av_session')).toBeUndefined();
  });
});

describe('/account/passkeys', () => {
  it("lists the caller's passkeys with rename and remove forms and the add form; renaming and removing work, only for the owner", async () => {
    const { u, passkeyId } = await enrolled();
    const cookie = await browserLogin(u, '198.51.100.63');
    const { res, html } = await page('/account/passkeys', cookie);
    expect(res.status).toBe(200);
    expect(html).toContain('Laptop');
    expect(html).toContain('id="passkey-register"');
    expect(html).toContain(`action="/account/passkeys/${passkeyId}/delete"`);
    expect(html).toContain('Generate new recovery codes');
    const form = await openForm('/account/passkeys', cookie);
    const renamed = await postForm(`/account/passkeys/${passkeyId}/name`, form, { name: 'Desk key' });
    expect(renamed.status).toBe(303);
    expect((await page('/account/passkeys', cookie)).html).toContain('Desk key');
    const other = await browserLogin(await userWithPassword('researcher'), '198.51.100.66');
    await postForm(`/account/passkeys/${passkeyId}/name`, await openForm('/account/passkeys', other), { name: 'Stolen' });
    expect((await page('/account/passkeys', cookie)).html).not.toContain('Stolen');
    const removed = await postForm(`/account/passkeys/${passkeyId}/delete`, form, {});
    expect(removed.status).toBe(303);
    expect((await env.DB.prepare('SELECT COUNT(*) AS n FROM passkeys WHERE user_id = ?').bind(u.id).first<{ n: number }>())!.n).toBe(0);
  });

  it("an admin removes another user's passkeys from the users page", async () => {
    const { u, auth } = await enrolled();
    const admin = await userWithPassword('admin');
    const cookie = await browserLogin(admin, '198.51.100.64');
    const form = await openForm('/admin/users', cookie);
    expect((await page('/admin/users', cookie)).html).toContain(`action="/admin/users/${u.id}/passkeys/remove"`);
    const res = await postForm(`/admin/users/${u.id}/passkeys/remove`, form, {});
    expect(res.status).toBe(303);
    const o = await loginOptions();
    const r = await call('POST', '/api/auth/passkeys/login/verify', { json: { response: await auth.assert(o, { origin: ORIGIN }) } });
    expect(r.body.error.code).toBe('PASSKEY_UNKNOWN');
  });
});

describe('ADMIN_SIGN_IN=strong pages', () => {
  it('the enrollment page guides an admin with only a password session', async () => {
    // A password-only admin session under the strong policy, made through the API with the policy set.
    const admin = await userWithPassword('admin');
    const login = await call('POST', '/api/auth/login', {
      json: { email: admin.email, password: admin.password },
      vars: { ADMIN_SIGN_IN: 'strong' },
      ip: '198.51.100.65',
    });
    const token = login.body.access_token as string;
    const res = await worker.fetch(
      new Request(`${ORIGIN}/account/passkeys`, { headers: { cookie: `__Host-av_session=${token}` } }),
      { ...env, ADMIN_SIGN_IN: 'strong' },
      createExecutionContext(),
    );
    const html = await res.text();
    expect(res.status).toBe(200);
    expect(html).toContain('Add a passkey now');
    expect(html).not.toContain('Generate new recovery codes');
    // Every other page sends it here.
    const other = await worker.fetch(
      new Request(`${ORIGIN}/account/password`, { headers: { cookie: `__Host-av_session=${token}` }, redirect: 'manual' }),
      { ...env, ADMIN_SIGN_IN: 'strong' },
      createExecutionContext(),
    );
    expect(other.headers.get('location')).toBe('/account/passkeys');
  });
});
