// Black box: single sign-on against a real OpenID provider (panva's
// oidc-provider on localhost, test/support/oidc-idp.ts) and Cloudflare Access
// against a local team domain (test/support/access-team.ts), with a real
// `wrangler dev` of the vault. The OIDC flow is driven over HTTP the way a
// browser would: /login/oidc → the provider → /login/oidc/callback.
// Canaries: the client secret, every authorization code and every Access
// assertion must never appear in wrangler's log, an audit event or a response.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { Fernet } from '../../src/crypto/fernet.ts';
import { DevVault, seedVault } from '../support/dev-vault.ts';
import { freePort } from '../support/wrangler-dev.ts';
import { LocalIdp } from '../support/oidc-idp.ts';
import { AccessTeam } from '../support/access-team.ts';

const CLIENT_ID = 'arena-vault-test';
const CLIENT_SECRET = `zzCanaryOidcSecret${crypto.randomUUID().replace(/-/g, '')}`;
const AUD = `aud-${crypto.randomUUID()}`;
const NEXT = '/admin/users';
const PASSWORD = 'a long enough password 42!';

/** Keeps wrangler's whole output over restarts (DevVault.log holds only the last start's). */
class SsoVault extends DevVault {
  all = '';
  protected override output(text: string): void {
    super.output(text);
    this.all += text;
  }
}

const idp = new LocalIdp();
const team = new AccessTeam();
let vault: SsoVault;
let apiKey: string;
let baseVars: Record<string, string>;
/** Every body the vault answered with, and every authorization code the provider issued. */
const bodies: string[] = [];
const codes: string[] = [];
/** Every Access assertion sent (each signed token is itself a bearer secret). */
const assertions: string[] = [];

function cookieFrom(res: Response, name: string): string | null {
  for (const sc of res.headers.getSetCookie()) {
    const [pair] = sc.split(';');
    const eq = pair!.indexOf('=');
    if (pair!.slice(0, eq) === name) return pair!.slice(eq + 1) || null;
  }
  return null;
}

interface Flow {
  status: number;
  location: string | null;
  session: string | null;
  text: string;
  callback: URL;
  attempt: string;
  setCookies: string[];
}

/** One sign-in as `account`; `authUrl` and `callback` may bend the provider request or its answer. */
async function oidcSignIn(account: string, bend: { authUrl?: (u: URL) => void; callback?: (u: URL) => void; dropAttempt?: boolean } = {}): Promise<Flow> {
  idp.signInAs = account;
  const start = await fetch(`${vault.url}/login/oidc?next=${encodeURIComponent(NEXT)}`, { redirect: 'manual' });
  bodies.push(await start.text());
  expect(start.status).toBe(303);
  const attempt = cookieFrom(start, '__Host-av_oidc');
  expect(attempt).toBeTruthy();
  const authUrl = new URL(start.headers.get('location')!);
  expect(authUrl.origin).toBe(idp.issuer);
  bend.authUrl?.(authUrl);
  const jar = new Map<string, string>();
  let url = authUrl.href;
  for (let hop = 0; hop < 10 && !url.startsWith(vault.url); hop++) {
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const sc of res.headers.getSetCookie()) {
      const [pair] = sc.split(';');
      const eq = pair!.indexOf('=');
      jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    const location = res.headers.get('location');
    const body = await res.text();
    if (!location) throw new Error(`the provider stopped at ${res.status}: ${body.slice(0, 300)}`);
    url = new URL(location, url).href;
  }
  const callback = new URL(url);
  expect(callback.pathname).toBe('/login/oidc/callback');
  const code = callback.searchParams.get('code');
  if (code) codes.push(code);
  bend.callback?.(callback);
  const res = await fetch(callback, { redirect: 'manual', headers: bend.dropAttempt ? {} : { cookie: `__Host-av_oidc=${attempt}` } });
  const text = await res.text();
  bodies.push(text);
  return {
    status: res.status,
    location: res.headers.get('location'),
    session: cookieFrom(res, '__Host-av_session'),
    text,
    callback,
    attempt: attempt!,
    setCookies: res.headers.getSetCookie(),
  };
}

async function api(method: string, path: string, body?: unknown) {
  const res = await vault.json(method, path, apiKey, body);
  bodies.push(JSON.stringify(res.body));
  return res;
}

async function auditEvents(action: string): Promise<{ actor: string; target: string | null; detail: Record<string, unknown> | null }[]> {
  const res = await api('GET', `/api/audit?action=${encodeURIComponent(action)}&limit=200`);
  expect(res.status).toBe(200);
  return res.body.events;
}

async function createUser(email: string, role: 'admin' | 'researcher'): Promise<number> {
  const res = await api('POST', '/api/users', { email, password: PASSWORD, role });
  expect(res.status).toBe(201);
  return res.body.id;
}

describe('single sign-on: OpenID Connect and Cloudflare Access', () => {
  let goneId: number;

  beforeAll(async () => {
    const key = Fernet.generateKey();
    const secretKey = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');
    vault = new SsoVault({ SECRET_KEY: secretKey, CREDENTIAL_ENCRYPTION_KEY: key });
    vault.port = await freePort();
    await idp.start({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: `${vault.url}/login/oidc/callback` });
    await team.start();
    ({ apiKey } = await seedVault(vault, 0, await Fernet.fromKey(key)));
    baseVars = {
      SECRET_KEY: secretKey,
      CREDENTIAL_ENCRYPTION_KEY: key,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: CLIENT_SECRET,
      OIDC_NAME: 'University login',
      OIDC_ALLOWED_DOMAINS: 'uni.example',
      ACCESS_TEAM_DOMAIN: team.origin,
      ACCESS_AUD: AUD,
    };
    await vault.start(baseVars, 'sso');
    idp.accounts.set('admin', { email: 'Admin@uni.example', email_verified: true });
    idp.accounts.set('ada', { email: 'ada@uni.example', email_verified: true, roles: ['admin'] });
    idp.accounts.set('ada-unverified', { email: 'ada@uni.example', email_verified: false });
    idp.accounts.set('eve', { email: 'eve@other.example', email_verified: true });
    idp.accounts.set('gone', { email: 'gone@uni.example', email_verified: true });
    idp.accounts.set('newbie', { email: 'newbie@uni.example', email_verified: true, name: 'New Person', roles: ['admin'] });
    await createUser('admin@uni.example', 'admin');
    await createUser('ada@uni.example', 'researcher');
    await createUser('eve@other.example', 'researcher');
    goneId = await createUser('gone@uni.example', 'researcher');
    expect((await api('PATCH', `/api/users/${goneId}`, { is_active: false })).status).toBe(200);
  });

  afterAll(async () => {
    await vault?.dispose();
    await idp.stop();
    await team.stop();
  });

  it('health reports the SSO settings as valid, and the login page shows the OIDC_NAME button', async () => {
    const health = await api('GET', '/api/health');
    for (const b of ['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET', 'OIDC_NAME', 'OIDC_ALLOWED_DOMAINS', 'ACCESS_TEAM_DOMAIN', 'ACCESS_AUD']) {
      expect(health.body.config.bindings[b], b).toEqual({ valid: true, set: true });
    }
    const page = await fetch(`${vault.url}/login?next=${encodeURIComponent(NEXT)}`);
    const html = await page.text();
    bodies.push(html);
    expect(html).toContain(`href="/login/oidc?next=${encodeURIComponent(NEXT)}"`);
    expect(html).toMatch(/id="login-oidc"[^>]*>\s*University login\s*</);
  });

  it("a good sign-in: session cookie (method oidc, the user's own role), 303 to next, audited", async () => {
    const flow = await oidcSignIn('admin');
    expect(flow.status).toBe(303);
    expect(flow.location).toBe(NEXT);
    expect(flow.session).toBeTruthy();
    // Lax: the redirect to next ends a navigation that began at the provider; the attempt cookie is deleted.
    expect(flow.setCookies.find((c) => c.startsWith('__Host-av_session='))).toMatch(/HttpOnly; Secure; SameSite=Lax/);
    expect(flow.setCookies.find((c) => c.startsWith('__Host-av_oidc='))).toMatch(/Max-Age=0/);
    const claims = decodeJwt(flow.session!);
    expect(claims.method).toBe('oidc');
    expect(claims.role).toBe('admin');
    const me = await fetch(`${vault.url}/api/auth/me`, { headers: { authorization: `Bearer ${flow.session}` } });
    const body = (await me.json()) as { email: string };
    expect(me.status).toBe(200);
    expect(body.email).toBe('admin@uni.example');
    const logins = await auditEvents('auth.login');
    expect(logins.some((e) => e.target === `user:${claims.sub}` && e.detail?.method === 'oidc')).toBe(true);
    // The attempt is single-use: the same answer again is refused (the code was redeemed).
    const again = await fetch(flow.callback, { redirect: 'manual', headers: { cookie: `__Host-av_oidc=${flow.attempt}` } });
    bodies.push(await again.text());
    expect(again.status).toBe(401);
    expect(cookieFrom(again, '__Host-av_session')).toBeNull();
  });

  it('roles never come from claims: a researcher whose provider says admin stays a researcher', async () => {
    const flow = await oidcSignIn('ada');
    expect(flow.status).toBe(303);
    expect(decodeJwt(flow.session!).role).toBe('researcher');
  });

  it('a bad state is refused', async () => {
    const flow = await oidcSignIn('admin', { callback: (u) => u.searchParams.set('state', 'not-the-state') });
    expect(flow.status).toBe(401);
    expect(flow.session).toBeNull();
    expect(flow.text).toContain('did not start in this browser');
  });

  it('a callback without the attempt cookie (another browser) is refused', async () => {
    const flow = await oidcSignIn('admin', { dropAttempt: true });
    expect(flow.status).toBe(401);
    expect(flow.session).toBeNull();
  });

  it('a bad nonce is refused (the provider was asked for another nonce)', async () => {
    const flow = await oidcSignIn('admin', { authUrl: (u) => u.searchParams.set('nonce', 'a-nonce-this-vault-never-made') });
    expect(flow.status).toBe(401);
    expect(flow.session).toBeNull();
    const failed = await auditEvents('auth.login_failed');
    expect(failed.some((e) => e.detail?.reason === 'token_rejected' && e.detail?.claim === 'nonce')).toBe(true);
  });

  it('an ID token for another audience is refused', async () => {
    idp.tamperIdToken = (claims) => ({ ...claims, aud: 'some-other-client' });
    const flow = await oidcSignIn('admin');
    expect(idp.tamperIdToken).toBeNull();
    expect(flow.status).toBe(401);
    expect(flow.session).toBeNull();
    const failed = await auditEvents('auth.login_failed');
    expect(failed.some((e) => e.detail?.reason === 'token_rejected' && e.detail?.claim === 'aud')).toBe(true);
  });

  it('an unverified email, a domain not allowed, an unknown user and a deactivated user are refused', async () => {
    const cases = [
      ['ada-unverified', 401, 'email_unverified'],
      ['eve', 403, 'domain_not_allowed'],
      ['newbie', 401, 'unknown_user'],
      ['gone', 403, 'inactive'],
    ] as const;
    for (const [account, status, reason] of cases) {
      const flow = await oidcSignIn(account);
      expect(flow.status, account).toBe(status);
      expect(flow.session, account).toBeNull();
      expect(flow.text).not.toContain(idp.accounts.get(account)!.email.split('@')[0]!);
      const failed = await auditEvents('auth.login_failed');
      expect(
        failed.some((e) => e.detail?.method === 'oidc' && e.detail?.reason === reason),
        account,
      ).toBe(true);
    }
    const users = await api('GET', '/api/users');
    expect(JSON.stringify(users.body)).not.toContain('newbie@uni.example');
  });

  it('Cloudflare Access: a valid assertion signs its user in; expired, wrong-audience, wrong-issuer, wrong-key and missing ones do not', async () => {
    const me = (assertion?: string) =>
      fetch(`${vault.url}/api/auth/me`, { headers: assertion ? { 'cf-access-jwt-assertion': assertion } : {} }).then(async (r) => {
        bodies.push(await r.text());
        return r.status;
      });
    expect(await me(await team.assertion('ada@uni.example', AUD))).toBe(200);
    expect(await me(await team.assertion('ada@uni.example', AUD, { expiresAt: Math.floor(Date.now() / 1000) - 120 }))).toBe(401);
    expect(await me(await team.assertion('ada@uni.example', 'another-application'))).toBe(401);
    expect(await me(await team.assertion('ada@uni.example', AUD, { issuer: `${team.origin}/` }))).toBe(401);
    expect(await me(await team.assertion('ada@uni.example', AUD, { otherKey: true }))).toBe(401);
    expect(await me()).toBe(401);
    // Must exist and be active.
    expect(await me(await team.assertion('gone@uni.example', AUD))).toBe(401);
    expect(await me(await team.assertion('nobody@uni.example', AUD))).toBe(401);
    // The keys are cached: a few fetches at most (jose refetches once for an unknown key), not one per request.
    expect(team.certRequests).toBeLessThanOrEqual(3);
  });

  it('Cloudflare Access: admin pages refuse a request without a valid assertion, even with a session', async () => {
    const admin = await oidcSignIn('admin');
    const page = (headers: Record<string, string>) =>
      fetch(`${vault.url}/admin/users`, { redirect: 'manual', headers }).then(async (r) => {
        bodies.push(await r.text());
        return r.status;
      });
    expect(await page({ cookie: `__Host-av_session=${admin.session}` })).toBe(403);
    expect(
      await page({
        cookie: `__Host-av_session=${admin.session}`,
        'cf-access-jwt-assertion': await team.assertion('admin@uni.example', AUD, { otherKey: true }),
      }),
    ).toBe(403);
    expect(await page({ 'cf-access-jwt-assertion': await team.assertion('admin@uni.example', AUD) })).toBe(200);
    // The assertion decides who it is: a researcher's assertion with an admin's cookie is a researcher.
    expect(await page({ cookie: `__Host-av_session=${admin.session}`, 'cf-access-jwt-assertion': await team.assertion('ada@uni.example', AUD) })).toBe(403);
  });

  it('with OIDC_DEFAULT_ROLE=researcher an unknown person of an allowed domain gets a researcher account', async () => {
    await vault.stop();
    await vault.start({ ...baseVars, OIDC_DEFAULT_ROLE: 'researcher' }, 'sso default role');
    const flow = await oidcSignIn('newbie');
    expect(flow.status).toBe(303);
    const claims = decodeJwt(flow.session!);
    expect(claims.role).toBe('researcher');
    expect(claims.method).toBe('oidc');
    const users = await api('GET', '/api/users');
    const created = (users.body.users ?? users.body).find((u: { email: string }) => u.email === 'newbie@uni.example');
    expect(created.role).toBe('researcher');
    // Other domains still get nothing.
    const eve = await oidcSignIn('eve');
    expect(eve.status).toBe(403);
  });

  it('canaries: the client secret, the authorization codes and the Access assertions appear in no log, audit event or response', async () => {
    await vault.stop();
    await vault.start(baseVars, 'sso canaries');
    const audit = await api('GET', '/api/audit?limit=200');
    expect(codes.length).toBeGreaterThan(5);
    assertions.push(...team.minted);
    expect(assertions.length).toBeGreaterThan(5);
    const haystacks = { log: vault.all, audit: JSON.stringify(audit.body), responses: bodies.join('\n') };
    for (const [where, text] of Object.entries(haystacks)) {
      expect(text.includes(CLIENT_SECRET), `client secret in ${where}`).toBe(false);
      for (const code of codes) expect(text.includes(code), `an authorization code in ${where}`).toBe(false);
      for (const a of assertions) expect(text.includes(a.split('.')[2]!), `an Access assertion in ${where}`).toBe(false);
    }
  });
});
