// Passkeys through the real Worker, with a software ES256 authenticator
// (test/support/soft-authenticator.ts) building real attestations and
// assertions: registration, sign-in, and each refusal with its own code.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { auditText, captureConsole, ORIGIN, userWithPassword } from './support.ts';
import { call, claimsOf, enrolled, loginOptions, passkeySignIn, passwordToken, registerWith, type Json } from './passkey-support.ts';

describe('registration', () => {
  it('options need a signed-in person; verify answers 201 {id, name, created_at}; the list never shows the key', async () => {
    expect((await call('POST', '/api/auth/passkeys/register/options')).status).toBe(401);
    const { u, token, auth, passkeyId } = await enrolled();
    const list = await call('GET', '/api/auth/passkeys', { token });
    expect(list.status).toBe(200);
    expect(list.body.passkeys).toEqual([{ id: passkeyId, name: 'Laptop', created_at: expect.any(String), last_used_at: null }]);
    // excludeCredentials lists the user's passkeys.
    const again = await call('POST', '/api/auth/passkeys/register/options', { token });
    expect(again.body.excludeCredentials.map((c: { id: string }) => c.id)).toEqual([auth.id]);
    expect(again.body.authenticatorSelection.userVerification).toBe('required');
    expect(again.body.rp.id).toBe('vault.test');
    expect(await auditText()).toContain(`"auth.passkey_registered","target":"user:${u.id}"`.slice(1));
  });

  it('verify answers exactly {id, name, created_at}', async () => {
    const u = await userWithPassword('researcher');
    const r = await registerWith(await SoftAuthenticator.create(), await passwordToken(u), { name: 'Phone' });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual(['created_at', 'id', 'name']);
  });

  it('without user verification, from another origin, or the same credential twice: refused', async () => {
    const u = await userWithPassword('researcher');
    const token = await passwordToken(u);
    const auth = await SoftAuthenticator.create();
    expect((await registerWith(auth, token, { uv: false })).body.error.code).toBe('PASSKEY_REJECTED');
    expect((await registerWith(auth, token, { origin: 'https://evil.test' })).body.error.code).toBe('PASSKEY_REJECTED');
    expect((await registerWith(auth, token)).status).toBe(201);
    const twice = await registerWith(auth, token);
    expect(twice.status).toBe(409);
    expect((await call('GET', '/api/auth/passkeys', { token })).body.passkeys).toHaveLength(1);
  });

  it('PUBLIC_URL sets the expected origin and the RP ID', async () => {
    const vars = { PUBLIC_URL: 'https://public.vault.test/some/path' };
    const u = await userWithPassword('researcher');
    const token = await passwordToken(u, vars);
    const auth = await SoftAuthenticator.create();
    const options = await call('POST', '/api/auth/passkeys/register/options', { token, vars });
    expect(options.body.rp.id).toBe('public.vault.test');
    // The request's own origin is not the expected one any more.
    expect((await registerWith(auth, token, { vars, origin: ORIGIN })).body.error.code).toBe('PASSKEY_REJECTED');
    expect((await registerWith(auth, token, { vars, origin: 'https://public.vault.test' })).status).toBe(201);
    expect((await passkeySignIn(auth, { vars, origin: 'https://public.vault.test' })).status).toBe(200);
  });
});

describe('sign-in', () => {
  it('answers like POST /api/auth/login, with a token whose method is passkey; audited', async () => {
    const { u, auth } = await enrolled();
    const r = await passkeySignIn(auth, { email: u.email });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(claimsOf(r.body.access_token)).toMatchObject({ sub: String(u.id), method: 'passkey' });
    const me = await call('GET', '/api/auth/me', { token: r.body.access_token });
    expect(me.body.email).toBe(u.email);
    // Discoverable: without an email too.
    expect((await passkeySignIn(auth)).status).toBe(200);
    const list = await call('GET', '/api/auth/passkeys', { token: r.body.access_token });
    expect(list.body.passkeys[0].last_used_at).not.toBeNull();
    expect(await auditText()).toMatch(new RegExp(`"auth\\.login","target":"user:${u.id}","ip":"[^"]*","detail":"\\{\\\\"method\\\\":\\\\"passkey\\\\"\\}"`));
  });

  it("options carry a 5-minute, stored challenge and the user's credentials when an email is given", async () => {
    const { u, auth } = await enrolled();
    const o = await loginOptions(u.email);
    expect(o.allowCredentials!.map((c) => c.id)).toEqual([auth.id]);
    expect((o as Json).userVerification).toBe('required');
    const row = await env.DB.prepare('SELECT expires_at, used_at FROM webauthn_challenges WHERE challenge = ?').bind(o.challenge).first<Json>();
    expect(row!.used_at).toBeNull();
    expect(row!.expires_at - Date.now()).toBeLessThanOrEqual(5 * 60_000);
    expect(row!.expires_at - Date.now()).toBeGreaterThan(4 * 60_000);
    // An unknown email looks the same: options, no credentials.
    expect((await loginOptions('nobody@example.test')).allowCredentials ?? []).toEqual([]);
  });

  it('without user verification: PASSKEY_REJECTED; from another origin: PASSKEY_REJECTED', async () => {
    const { auth } = await enrolled();
    expect((await passkeySignIn(auth, { uv: false })).body.error.code).toBe('PASSKEY_REJECTED');
    expect((await passkeySignIn(auth, { origin: 'https://evil.test' })).body.error.code).toBe('PASSKEY_REJECTED');
  });

  it('the same response twice: ASSERTION_REPLAYED; a new response to a used challenge: CHALLENGE_USED', async () => {
    const { auth } = await enrolled();
    const o = await loginOptions();
    const first = await auth.assert(o, { origin: ORIGIN });
    expect((await call('POST', '/api/auth/passkeys/login/verify', { json: { response: first } })).status).toBe(200);
    const replay = await call('POST', '/api/auth/passkeys/login/verify', { json: { response: first } });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('ASSERTION_REPLAYED');
    const second = await auth.assert(o, { origin: ORIGIN });
    expect((await call('POST', '/api/auth/passkeys/login/verify', { json: { response: second } })).body.error.code).toBe('CHALLENGE_USED');
  });

  it('an expired or unknown challenge: CHALLENGE_EXPIRED', async () => {
    const { auth } = await enrolled();
    const o = await loginOptions();
    await env.DB.prepare('UPDATE webauthn_challenges SET expires_at = ? WHERE challenge = ?')
      .bind(Date.now() - 1, o.challenge)
      .run();
    const late = await call('POST', '/api/auth/passkeys/login/verify', { json: { response: await auth.assert(o, { origin: ORIGIN }) } });
    expect(late.body.error.code).toBe('CHALLENGE_EXPIRED');
    const made = await auth.assert({ challenge: 'bm90LWlzc3VlZC1ieS10aGUtdmF1bHQ', rpId: 'vault.test' }, { origin: ORIGIN });
    expect((await call('POST', '/api/auth/passkeys/login/verify', { json: { response: made } })).body.error.code).toBe('CHALLENGE_EXPIRED');
    // A registration challenge does not serve a sign-in.
    const u = await userWithPassword('researcher');
    const reg = await call('POST', '/api/auth/passkeys/register/options', { token: await passwordToken(u) });
    const cross = await auth.assert({ challenge: reg.body.challenge, rpId: 'vault.test' }, { origin: ORIGIN });
    expect((await call('POST', '/api/auth/passkeys/login/verify', { json: { response: cross } })).body.error.code).toBe('CHALLENGE_EXPIRED');
  });

  it('a counter that goes backwards: PASSKEY_COUNTER_REGRESSED; an authenticator keeping no counter (always 0) is fine', async () => {
    const { auth } = await enrolled();
    expect((await passkeySignIn(auth, { counter: 5 })).status).toBe(200);
    const back = await passkeySignIn(auth, { counter: 3 });
    expect(back.status).toBe(401);
    expect(back.body.error.code).toBe('PASSKEY_COUNTER_REGRESSED');
    expect((await passkeySignIn(auth, { counter: 5 })).body.error.code).toBe('PASSKEY_COUNTER_REGRESSED');
    expect((await passkeySignIn(auth, { counter: 6 })).status).toBe(200);
    const noCounter = (await enrolled('researcher', false)).auth;
    expect((await passkeySignIn(noCounter)).status).toBe(200);
    expect((await passkeySignIn(noCounter)).status).toBe(200);
  });

  it("another user's credential for an email-bound challenge: PASSKEY_WRONG_USER", async () => {
    const alice = await enrolled();
    const bob = await enrolled();
    const r = await passkeySignIn(bob.auth, { email: alice.u.email });
    expect(r.body.error.code).toBe('PASSKEY_WRONG_USER');
    // An unknown email's challenge takes no credential either.
    expect((await passkeySignIn(bob.auth, { email: 'nobody@example.test' })).body.error.code).toBe('PASSKEY_WRONG_USER');
  });

  it('a deleted passkey: PASSKEY_UNKNOWN; the owner or an admin may delete, another user may not (404)', async () => {
    const { token, auth, passkeyId } = await enrolled();
    const other = await passwordToken(await userWithPassword('researcher'));
    expect((await call('DELETE', `/api/auth/passkeys/${passkeyId}`, { token: other })).status).toBe(404);
    expect((await call('DELETE', `/api/auth/passkeys/${passkeyId}`, { token })).status).toBe(204);
    const r = await passkeySignIn(auth);
    expect(r.body.error.code).toBe('PASSKEY_UNKNOWN');
    const second = await enrolled();
    const admin = await passwordToken(await userWithPassword('admin'));
    expect((await call('DELETE', `/api/auth/passkeys/${second.passkeyId}`, { token: admin })).status).toBe(204);
    expect((await passkeySignIn(second.auth)).body.error.code).toBe('PASSKEY_UNKNOWN');
    expect(await auditText()).toContain('auth.passkey_removed');
  });

  it('a deactivated user: USER_INACTIVE', async () => {
    const { u, auth } = await enrolled();
    await env.DB.prepare('UPDATE users SET is_active = 0 WHERE id = ?').bind(u.id).run();
    const r = await passkeySignIn(auth);
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('USER_INACTIVE');
  });

  it('a malformed response: 422 for a wrong shape, PASSKEY_REJECTED for garbage inside', async () => {
    expect((await call('POST', '/api/auth/passkeys/login/verify', { json: { response: 'x' } })).status).toBe(422);
    const r = await call('POST', '/api/auth/passkeys/login/verify', { json: { response: { id: 'abc', response: { clientDataJSON: '!!' } } } });
    expect(r.body.error.code).toBe('PASSKEY_REJECTED');
  });
});

describe('canaries: nothing of an assertion reaches a log, an audit event or an error', () => {
  it('the signature and client data appear nowhere', async () => {
    const { auth } = await enrolled();
    const { output, result } = await captureConsole(async () => {
      const ok = await passkeySignIn(auth);
      const replay = await call('POST', '/api/auth/passkeys/login/verify', { json: { response: ok.response } });
      return { ok, replay };
    });
    const { signature, clientDataJSON } = result.ok.response.response;
    const audit = await auditText();
    for (const secret of [signature, clientDataJSON]) {
      expect(output).not.toContain(secret);
      expect(audit).not.toContain(secret);
      expect(JSON.stringify(result.replay.body)).not.toContain(secret);
    }
  });
});

describe('GET /api/auth/methods', () => {
  it('password and passkey always; OIDC and Access from their settings', async () => {
    expect((await call('GET', '/api/auth/methods')).body).toEqual({
      password: true,
      passkey: true,
      oidc: { enabled: false, name: null },
      access: { enabled: false },
    });
    const vars = {
      OIDC_ISSUER: 'https://idp.example',
      OIDC_CLIENT_ID: 'vault',
      OIDC_CLIENT_SECRET: 'canary-oidc-secret',
      OIDC_NAME: 'University SSO',
      ACCESS_TEAM_DOMAIN: 'https://team.cloudflareaccess.com',
      ACCESS_AUD: 'aud',
    };
    const on = await call('GET', '/api/auth/methods', { vars });
    expect(on.body).toEqual({ password: true, passkey: true, oidc: { enabled: true, name: 'University SSO' }, access: { enabled: true } });
    expect(JSON.stringify(on.body)).not.toContain('canary-oidc-secret');
  });
});
