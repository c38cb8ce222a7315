// ADMIN_SIGN_IN: under `strong`, an admin's password alone gives an enrollment
// session (register a first passkey, nothing else); a passkey, a recovery code
// (or SSO) gives admin work back. A bad value is named by /api/health.
import { createExecutionContext, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { ORIGIN, userWithPassword } from './support.ts';
import { call, claimsOf, passkeySignIn, passwordToken, registerWith } from './passkey-support.ts';

const STRONG = { ADMIN_SIGN_IN: 'strong' };

describe('ADMIN_SIGN_IN=strong', () => {
  it("an admin's password session may only enroll a first passkey; the passkey session does admin work", async () => {
    const u = await userWithPassword('admin');
    const token = await passwordToken(u, STRONG);
    expect(claimsOf(token).method).toBe('password');
    expect((await call('GET', '/api/users', { token, vars: STRONG })).status).toBe(403);
    expect((await call('GET', '/api/auth/me', { token, vars: STRONG })).status).toBe(403);
    expect((await call('POST', '/api/auth/recovery-codes', { token, vars: STRONG })).status).toBe(403);
    expect((await call('GET', '/api/credentials', { token, vars: STRONG })).status).toBe(403);
    const auth = await SoftAuthenticator.create();
    expect((await registerWith(auth, token, { vars: STRONG })).status).toBe(201);
    // A stolen password must not add a second passkey.
    const second = await call('POST', '/api/auth/passkeys/register/options', { token, vars: STRONG });
    expect(second.status).toBe(403);
    expect(second.body.error.code).toBe('FORBIDDEN');
    const strong = await passkeySignIn(auth, { vars: STRONG });
    expect(strong.status).toBe(200);
    expect((await call('GET', '/api/users', { token: strong.body.access_token, vars: STRONG })).status).toBe(200);
    // A strong session may add another passkey.
    expect((await registerWith(await SoftAuthenticator.create(), strong.body.access_token, { vars: STRONG })).status).toBe(201);
  });

  it('a recovery code counts as strong; researchers and the default policy are unchanged', async () => {
    const admin = await userWithPassword('admin');
    const adminToken = await passwordToken(admin);
    const codes = (await call('POST', '/api/auth/recovery-codes', { token: adminToken })).body.codes as string[];
    const viaCode = await call('POST', '/api/auth/recovery/login', { json: { email: admin.email, code: codes[0] }, vars: STRONG });
    expect((await call('GET', '/api/users', { token: viaCode.body.access_token, vars: STRONG })).status).toBe(200);
    // The default (password): the password session does admin work.
    expect((await call('GET', '/api/users', { token: adminToken })).status).toBe(200);
    const r = await userWithPassword('researcher');
    const rToken = await passwordToken(r, STRONG);
    expect((await call('GET', '/api/auth/me', { token: rToken, vars: STRONG })).status).toBe(200);
    expect((await call('POST', '/api/auth/recovery-codes', { token: rToken, vars: STRONG })).status).toBe(201);
  });

  it('pages send the enrollment session to the passkey page', async () => {
    const u = await userWithPassword('admin');
    const token = await passwordToken(u, STRONG);
    const res = await worker.fetch(
      new Request(`${ORIGIN}/admin/credentials`, { headers: { cookie: `__Host-av_session=${token}` }, redirect: 'manual' }),
      { ...env, ...STRONG },
      createExecutionContext(),
    );
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account/passkeys');
  });

  it('a bad value: /api/health names ADMIN_SIGN_IN and every other route answers CONFIG_INVALID', async () => {
    const health = await call('GET', '/api/health', { vars: { ADMIN_SIGN_IN: 'maybe' } });
    expect(health.status).toBe(503);
    expect(health.body.config.bindings.ADMIN_SIGN_IN).toMatchObject({ valid: false, problem: 'ADMIN_SIGN_IN must be password or strong' });
    expect(JSON.stringify(health.body)).not.toContain('maybe');
    expect((await call('GET', '/api/auth/methods', { vars: { ADMIN_SIGN_IN: 'maybe' } })).body.error.code).toBe('CONFIG_INVALID');
    const bad = await call('GET', '/api/health', { vars: { PUBLIC_URL: 'not a url' } });
    expect(bad.body.config.bindings.PUBLIC_URL.valid).toBe(false);
  });
});
