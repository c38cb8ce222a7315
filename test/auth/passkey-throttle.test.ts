/**
 * The passkey sign-in's brute-force limit: the same rule and owner as the
 * password and the recovery codes (login-throttle.ts reserveAttempt), in the
 * buckets of throttle-policy.ts passkeyThrottleBuckets: the user the
 * assertion's credential names (`passkey:user:<id>`) and the client
 * (`client:<ip>`, shared with the password). Real ceremonies with the soft
 * authenticator; a bad assertion is a real one from the wrong origin
 * (PASSKEY_REJECTED).
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { ACCOUNT_RULE, CLIENT_RULE } from '../../src/auth/throttle-policy.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { auditText, cookieValue, openForm, ORIGIN, postForm } from './support.ts';
import { call, enrolled, loginOptions, passkeySignIn, type Json } from './passkey-support.ts';

const WRONG_ORIGIN = 'https://evil.test';

async function bucket(name: string) {
  return env.DB.prepare('SELECT failures, locked_until FROM login_throttle WHERE bucket = ?')
    .bind(name)
    .first<{ failures: number; locked_until: number | null }>();
}

/** Ends the lock and the window of a bucket, as if its 15 minutes had passed. */
async function lapse(name: string) {
  await env.DB.prepare('UPDATE login_throttle SET locked_until = ?, window_started_at = 0 WHERE bucket = ?')
    .bind(Date.now() - 1, name)
    .run();
}

describe('passkey sign-in: rate-limited like the password', () => {
  it(`per user: after ${ACCOUNT_RULE.maxFailures} bad assertions from anywhere, 429 RATE_LIMITED with Retry-After, even for a good one, until the lock lapses`, async () => {
    const { u, auth } = await enrolled();
    for (let i = 0; i < ACCOUNT_RULE.maxFailures; i++) {
      const bad = await passkeySignIn(auth, { origin: WRONG_ORIGIN, ip: `198.51.100.${i + 10}` });
      expect(bad.status).toBe(401);
      expect(bad.body.error.code).toBe('PASSKEY_REJECTED');
    }
    // A good assertion (right origin, right key, fresh challenge) from yet another client: refused unverified.
    const o = await loginOptions();
    const good = await auth.assert(o, { origin: ORIGIN });
    const locked = await call('POST', '/api/auth/passkeys/login/verify', { json: { response: good }, ip: '198.51.100.99' });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('RATE_LIMITED');
    const retry = Number(locked.headers.get('retry-after'));
    expect(locked.body.error.details.retry_after_seconds).toBe(retry);
    expect(retry).toBeGreaterThan(ACCOUNT_RULE.lockMs / 1000 - 60);
    expect(retry).toBeLessThanOrEqual(ACCOUNT_RULE.lockMs / 1000);
    const row = await bucket(`passkey:user:${u.id}`);
    expect(row!.failures).toBe(ACCOUNT_RULE.maxFailures + 1);
    expect(row!.locked_until).toBeGreaterThan(Date.now());
    // Audited like the password's lockout.
    expect(await auditText()).toContain(
      `"auth.login_failed","target":"user:${u.id}","ip":"198.51.100.99","detail":"{\\"method\\":\\"passkey\\",\\"reason\\":\\"throttled\\"}"`,
    );
    // Still refused while the lock lasts, and the refusal does not touch the challenge.
    expect((await passkeySignIn(auth, { ip: '198.51.100.98' })).status).toBe(429);
    const challenge = await env.DB.prepare('SELECT used_at FROM webauthn_challenges WHERE challenge = ?').bind(o.challenge).first<Json>();
    expect(challenge!.used_at).toBeNull();
    // Once the lock lapses, a good assertion signs in.
    await lapse(`passkey:user:${u.id}`);
    const after = await passkeySignIn(auth, { ip: '198.51.100.99' });
    expect(after.status).toBe(200);
    expect(after.body.access_token).toBeTruthy();
  });

  it("a success clears the user's count and gives the client its slot back, like the password", async () => {
    const { u, auth } = await enrolled();
    const ip = '198.51.102.1';
    for (let i = 0; i < ACCOUNT_RULE.maxFailures - 1; i++) expect((await passkeySignIn(auth, { origin: WRONG_ORIGIN, ip })).status).toBe(401);
    expect((await bucket(`passkey:user:${u.id}`))!.failures).toBe(ACCOUNT_RULE.maxFailures - 1);
    expect((await passkeySignIn(auth, { ip })).status).toBe(200);
    expect(await bucket(`passkey:user:${u.id}`)).toBeNull();
    // The client keeps its earlier failures (only this attempt's reservation came back).
    expect((await bucket(`client:${ip}`))!.failures).toBe(ACCOUNT_RULE.maxFailures - 1);
    // The user's budget starts over: as many failures again, and a good one still signs in.
    for (let i = 0; i < ACCOUNT_RULE.maxFailures - 1; i++) {
      expect((await passkeySignIn(auth, { origin: WRONG_ORIGIN, ip: `198.51.102.${i + 10}` })).status).toBe(401);
    }
    expect((await passkeySignIn(auth, { ip: '198.51.102.99' })).status).toBe(200);
  });

  it(`per client: ${CLIENT_RULE.maxFailures} failures of any method (passkeys of unknown credentials, passwords) lock that client out, not others`, async () => {
    const { auth } = await enrolled();
    const ip = '198.51.103.66';
    const stranger = await SoftAuthenticator.create();
    for (let i = 0; i < CLIENT_RULE.maxFailures; i++) {
      const r =
        i % 2
          ? await call('POST', '/api/auth/login', { json: { email: `spray-${i}@example.test`, password: 'canary-spray' }, ip })
          : await passkeySignIn(stranger, { ip });
      expect(r.status).toBe(401);
    }
    expect(await bucket('client:198.51.103.66')).toMatchObject({ failures: CLIENT_RULE.maxFailures });
    const blocked = await passkeySignIn(auth, { ip });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('RATE_LIMITED');
    expect((await passkeySignIn(auth, { ip: '198.51.103.67' })).status).toBe(200);
  });

  it('wrong passwords for the email do not lock its owner out of their passkey (separate buckets)', async () => {
    const { u, auth } = await enrolled();
    for (let i = 0; i < ACCOUNT_RULE.maxFailures; i++) {
      await call('POST', '/api/auth/login', { json: { email: u.email, password: `canary-guess-${i}` }, ip: `198.51.104.${i + 10}` });
    }
    expect((await call('POST', '/api/auth/login', { json: { email: u.email, password: u.password }, ip: '198.51.104.99' })).status).toBe(429);
    expect((await passkeySignIn(auth, { ip: '198.51.104.99' })).status).toBe(200);
  });

  it('the /login/passkey form: counted the same way (an unreadable response too), a lockout goes back to /login with Retry-After and no cookie', async () => {
    const { u, auth } = await enrolled();
    const form = await openForm();
    const ip = { 'cf-connecting-ip': '198.51.105.1' };
    const garbage = await postForm('/login/passkey', form, { response: '{not json' }, ip);
    expect(garbage.headers.get('location')).toBe('/login');
    expect((await bucket('client:198.51.105.1'))!.failures).toBe(1);
    for (let i = 0; i < ACCOUNT_RULE.maxFailures; i++) {
      const bad = await auth.assert(await loginOptions(), { origin: WRONG_ORIGIN });
      await postForm('/login/passkey', form, { response: JSON.stringify(bad) }, { 'cf-connecting-ip': `198.51.105.${i + 10}` });
    }
    const good = await auth.assert(await loginOptions(), { origin: ORIGIN });
    const locked = await postForm('/login/passkey', form, { response: JSON.stringify(good) }, ip);
    expect(locked.status).toBe(303);
    expect(locked.headers.get('location')).toBe('/login');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(cookieValue(locked, '__Host-av_session')).toBeUndefined();
    expect((await bucket(`passkey:user:${u.id}`))!.failures).toBe(ACCOUNT_RULE.maxFailures + 1);
  });
});
