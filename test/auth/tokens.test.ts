// The token rules and their attack suite: every forged, stale or misdirected
// token is refused with 401 UNAUTHENTICATED, through the real Worker.
import { createExecutionContext, env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { SignJWT, decodeProtectedHeader, generateKeyPair, UnsecuredJWT } from 'jose';
import worker from '../../src/index.ts';
import { loadConfig, parseConfig } from '../../src/config.ts';
import { CLOCK_LEEWAY_SECONDS, TOKEN_AUDIENCE, TOKEN_ISSUER, issueAccessToken, verifyAccessToken } from '../../src/auth/tokens.ts';
import { keyIdOf } from '../../src/crypto/key-id.ts';
import { TEST_CREDENTIAL_KEY, TEST_SECRET_KEY, TEST_SECRET_KEY_2 } from '../support/keys.ts';
import { userWithPassword, ORIGIN } from './support.ts';

const enc = new TextEncoder();
const KID_1 = keyIdOf(enc.encode(TEST_SECRET_KEY));
const KID_2 = keyIdOf(enc.encode(TEST_SECRET_KEY_2));

async function me(token: string): Promise<Response> {
  return SELF.fetch(`${ORIGIN}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
}

async function expectRefused(token: string) {
  const res = await me(token);
  expect(res.status).toBe(401);
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
}

/** A token shaped like ours, with any header, claims and key. */
function forge(
  userId: number,
  opts: { alg?: string; kid?: string | null; aud?: string; iss?: string; ver?: number; exp?: number; method?: unknown; key?: Uint8Array | CryptoKey } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  const header: Record<string, unknown> = { alg: opts.alg ?? 'HS256', typ: 'JWT' };
  if (opts.kid !== null) header.kid = opts.kid ?? KID_1;
  return new SignJWT({ role: 'admin', ver: opts.ver ?? 0, ...(opts.method === undefined ? {} : { method: opts.method }) })
    .setProtectedHeader(header as { alg: string })
    .setSubject(String(userId))
    .setIssuedAt(now)
    .setExpirationTime(opts.exp ?? now + 600)
    .setAudience(opts.aud ?? TOKEN_AUDIENCE)
    .setIssuer(opts.iss ?? TOKEN_ISSUER)
    .sign(opts.key ?? enc.encode(TEST_SECRET_KEY));
}

describe('a genuine token', () => {
  it('is accepted and carries sub, role, ver, iat, exp, aud, iss and the kid of the current key', async () => {
    const u = await userWithPassword('admin');
    const config = await loadConfig(env);
    const { token } = await issueAccessToken(config, { id: u.id, role: 'admin', tokenVersion: 0 }, 'password');
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT', kid: KID_1 });
    const claims = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')));
    expect(claims).toMatchObject({ sub: String(u.id), role: 'admin', ver: 0, aud: TOKEN_AUDIENCE, iss: TOKEN_ISSUER });
    expect(claims.exp - claims.iat).toBe(30 * 60);
    const res = await me(token);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { email: string }).email).toBe(u.email);
    // A forged-but-correct token passes too: the helper below is a faithful baseline.
    expect((await me(await forge(u.id))).status).toBe(200);
  });
});

describe('the sign-in method (the seam every sign-in path shares)', () => {
  it('travels in the `method` claim and reads back; a token without it reads as password (weak)', async () => {
    const u = await userWithPassword('researcher');
    const config = await loadConfig(env);
    for (const method of ['password', 'passkey', 'recovery', 'oidc', 'access'] as const) {
      const { token } = await issueAccessToken(config, { id: u.id, role: 'researcher', tokenVersion: 0 }, method);
      const claims = JSON.parse(atob(token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')));
      expect(claims.method).toBe(method);
      await expect(verifyAccessToken(config, token)).resolves.toMatchObject({ method });
    }
    await expect(verifyAccessToken(config, await forge(u.id))).resolves.toMatchObject({ method: 'password' });
  });

  it('an unknown method is refused like any forged claim', async () => {
    const u = await userWithPassword('researcher');
    await expectRefused(await forge(u.id, { method: 'magic' }));
    await expectRefused(await forge(u.id, { method: 7 }));
  });
});

describe('attack suite: each is 401 UNAUTHENTICATED', () => {
  it('alg "none" (unsigned)', async () => {
    const u = await userWithPassword('admin');
    const now = Math.floor(Date.now() / 1000);
    const unsigned = new UnsecuredJWT({ role: 'admin', ver: 0 })
      .setSubject(String(u.id))
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuer(TOKEN_ISSUER)
      .encode();
    await expectRefused(unsigned);
    // Same, with our kid in the header and an empty or bogus signature.
    const [, payload] = unsigned.split('.');
    const header = btoa(JSON.stringify({ alg: 'none', typ: 'JWT', kid: KID_1 })).replace(/=+$/, '');
    await expectRefused(`${header}.${payload}.`);
    await expectRefused(`${header}.${payload}.AAAA`);
  });

  it('any other algorithm, even keyed with the real secret (HS384, HS512) or asymmetric (RS256)', async () => {
    const u = await userWithPassword('admin');
    await expectRefused(await forge(u.id, { alg: 'HS512' }));
    await expectRefused(await forge(u.id, { alg: 'HS384' }));
    const { privateKey } = await generateKeyPair('RS256');
    await expectRefused(await forge(u.id, { alg: 'RS256', key: privateKey }));
  });

  it('an unknown kid, or none at all', async () => {
    const u = await userWithPassword('admin');
    await expectRefused(await forge(u.id, { kid: KID_2, key: enc.encode(TEST_SECRET_KEY_2) }));
    await expectRefused(await forge(u.id, { kid: 'ffffffffffffffff' }));
    await expectRefused(await forge(u.id, { kid: null }));
  });

  it('a bad signature (wrong key under the right kid, or a flipped byte)', async () => {
    const u = await userWithPassword('admin');
    await expectRefused(await forge(u.id, { kid: KID_1, key: enc.encode(TEST_SECRET_KEY_2) }));
    const good = await forge(u.id);
    const sig = good.split('.')[2]!;
    const flipped = sig[5] === 'A' ? 'B' : 'A';
    await expectRefused(`${good.split('.').slice(0, 2).join('.')}.${sig.slice(0, 5)}${flipped}${sig.slice(6)}`);
    await expectRefused(`${good.split('.').slice(0, 2).join('.')}.`);
    await expectRefused('not-a-jwt');
  });

  it(`expired beyond the ${CLOCK_LEEWAY_SECONDS}s leeway; within it still accepted`, async () => {
    const u = await userWithPassword('admin');
    const config = await loadConfig(env);
    const now = Math.floor(Date.now() / 1000);
    const life = config.accessTokenMinutes * 60;
    const inLeeway = await issueAccessToken(config, { id: u.id, role: 'admin', tokenVersion: 0 }, 'password', now - life - 5);
    expect((await me(inLeeway.token)).status).toBe(200);
    const expired = await issueAccessToken(config, { id: u.id, role: 'admin', tokenVersion: 0 }, 'password', now - life - CLOCK_LEEWAY_SECONDS - 60);
    await expectRefused(expired.token);
    // At the exact boundary (deterministic clock): valid until exp + leeway, refused from then on.
    const t = await issueAccessToken(config, { id: u.id, role: 'admin', tokenVersion: 0 }, 'password', 1_000_000);
    await expect(verifyAccessToken(config, t.token, t.expiresAt + CLOCK_LEEWAY_SECONDS - 1)).resolves.toMatchObject({ sub: String(u.id) });
    await expect(verifyAccessToken(config, t.token, t.expiresAt + CLOCK_LEEWAY_SECONDS)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('a wrong audience or issuer', async () => {
    const u = await userWithPassword('admin');
    await expectRefused(await forge(u.id, { aud: 'another-service' }));
    await expectRefused(await forge(u.id, { iss: 'someone-else' }));
  });

  it('a ver below the user’s token_version (after logout-all or revoke)', async () => {
    const u = await userWithPassword('admin');
    const token = await forge(u.id, { ver: 0 });
    expect((await me(token)).status).toBe(200);
    await env.DB.prepare('UPDATE users SET token_version = 1 WHERE id = ?').bind(u.id).run();
    await expectRefused(token);
    expect((await me(await forge(u.id, { ver: 1 }))).status).toBe(200);
  });

  it('an inactive user, or one that does not exist', async () => {
    const u = await userWithPassword('admin', { active: false });
    await expectRefused(await forge(u.id));
    await expectRefused(await forge(987654));
  });

  it('a session cookie carrying any of these is ignored too (the API says 401, pages redirect to /login)', async () => {
    const u = await userWithPassword('admin');
    const bad = await forge(u.id, { alg: 'HS512' });
    const api = await SELF.fetch(`${ORIGIN}/api/auth/me`, { headers: { cookie: `__Host-av_session=${bad}` } });
    expect(api.status).toBe(401);
    const page = await SELF.fetch(`${ORIGIN}/admin/users`, { headers: { cookie: `__Host-av_session=${bad}` }, redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/login?next=%2Fadmin%2Fusers');
  });
});

describe('new tokens are always signed with the current key', () => {
  it('with SECRET_KEY=B and SECRET_KEY_PREVIOUS=A, issued tokens carry kid(B) and verify without A', async () => {
    const { config } = await parseConfig({
      SECRET_KEY: TEST_SECRET_KEY_2,
      SECRET_KEY_PREVIOUS: TEST_SECRET_KEY,
      CREDENTIAL_ENCRYPTION_KEY: TEST_CREDENTIAL_KEY,
    });
    const { config: onlyB } = await parseConfig({ SECRET_KEY: TEST_SECRET_KEY_2, CREDENTIAL_ENCRYPTION_KEY: TEST_CREDENTIAL_KEY });
    const { config: onlyA } = await parseConfig({ SECRET_KEY: TEST_SECRET_KEY, CREDENTIAL_ENCRYPTION_KEY: TEST_CREDENTIAL_KEY });
    for (let i = 0; i < 5; i++) {
      const issued = await issueAccessToken(config!, { id: 1, role: 'researcher', tokenVersion: 0 }, 'password');
      expect(issued.kid).toBe(KID_2);
      expect(decodeProtectedHeader(issued.token).kid).toBe(KID_2);
      await expect(verifyAccessToken(onlyB!, issued.token)).resolves.toMatchObject({ sub: '1' });
      await expect(verifyAccessToken(onlyA!, issued.token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    }
  });

  it('POST /api/auth/login under a rotated ring returns a token under the new key', async () => {
    const u = await userWithPassword('researcher');
    const rotated = { ...env, SECRET_KEY: TEST_SECRET_KEY_2, SECRET_KEY_PREVIOUS: TEST_SECRET_KEY };
    const res = await worker.fetch(
      new Request(`${ORIGIN}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-connecting-ip': '192.0.2.77' },
        body: JSON.stringify({ email: u.email, password: u.password }),
      }),
      rotated,
      createExecutionContext(),
    );
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as { access_token: string };
    expect(decodeProtectedHeader(access_token).kid).toBe(KID_2);
    expect(decodeProtectedHeader(access_token).kid).not.toBe(KID_1);
  });
});
