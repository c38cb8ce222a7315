// Issue 12, point 2: the brute-force limits cannot be raced. A burst of
// concurrent wrong passwords reserves its attempts in D1 before any password is
// verified, so at most ACCOUNT_RULE.maxFailures verifications run and the rest
// are 429 with Retry-After. Verifications are counted by the audit events the
// code writes right after each one (`wrong_password`, `password_change_failed`):
// one per verification that said no, none for an attempt refused before it.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { openDb } from '../../src/db/client.ts';
import { login } from '../../src/auth/login.ts';
import { changeOwnPassword } from '../../src/auth/own-password.ts';
import { ACCOUNT_RULE } from '../../src/auth/throttle-policy.ts';
import { ORIGIN, browserLogin, openForm, postForm, userWithPassword } from './support.ts';

const BURST = 20;
let ipSeq = 0;
const freshIp = () => `198.51.100.${++ipSeq}`;

async function countAudit(where: string, ...binds: unknown[]): Promise<number> {
  const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM audit_events WHERE ${where}`)
    .bind(...binds)
    .first<{ n: number }>();
  return row!.n;
}

const wrongPasswordVerifications = (email: string) =>
  countAudit("action = 'auth.login_failed' AND target = ? AND json_extract(detail, '$.reason') = 'wrong_password'", `email:${email}`);
const ownPasswordVerifications = (userId: number) => countAudit("action = 'auth.password_change_failed' AND target = ?", `user:${userId}`);

function loginApi(email: string, password: string, ip: string) {
  return SELF.fetch(`${ORIGIN}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip },
    body: JSON.stringify({ email, password }),
  });
}

/**
 * Sends BURST wrong passwords at once (`send(i)`), then checks every answer is
 * either a verified refusal (`verifiedStatus`) or 429 with a sane Retry-After,
 * and that exactly ACCOUNT_RULE.maxFailures verifications ran (`verifications()`
 * counts them), one per verified refusal.
 */
async function burst(send: (i: number) => Promise<Response>, verifiedStatus: number, verifications: () => Promise<number>): Promise<Response[]> {
  const responses = await Promise.all(Array.from({ length: BURST }, (_, i) => send(i)));
  for (const r of responses) {
    expect([verifiedStatus, 429]).toContain(r.status);
    if (r.status === 429) {
      const retry = Number(r.headers.get('retry-after'));
      expect(retry).toBeGreaterThan(0);
      expect(retry).toBeLessThanOrEqual(ACCOUNT_RULE.lockMs / 1000);
    }
  }
  const verified = responses.filter((r) => r.status === verifiedStatus).length;
  const ran = await verifications();
  expect(ran).toBeLessThanOrEqual(ACCOUNT_RULE.maxFailures);
  expect(ran).toBe(ACCOUNT_RULE.maxFailures); // and no fewer: the limit refuses nothing it should admit
  expect(ran).toBe(verified);
  expect(responses.filter((r) => r.status === 429).length).toBe(BURST - verified);
  return responses;
}

describe('the login limit holds under a concurrent burst', () => {
  it(`${BURST} concurrent wrong guesses from ${BURST} clients: at most ${ACCOUNT_RULE.maxFailures} verifications, the rest 429; the right password waits for the lock`, async () => {
    const u = await userWithPassword('researcher');
    await burst(
      (i) => loginApi(u.email, `canary-guess-${i}`, freshIp()),
      401,
      () => wrongPasswordVerifications(u.email),
    );
    const verifications = await wrongPasswordVerifications(u.email);

    // The right password, from a client that guessed nothing: still refused, and not verified.
    const right = await loginApi(u.email, u.password, freshIp());
    expect(right.status).toBe(429);
    expect(((await right.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    expect(await wrongPasswordVerifications(u.email)).toBe(verifications);

    // Once the lock has run out (time driven through login's `now`), it works.
    const db = openDb(env.DB);
    const config = await loadConfig(env);
    const later = Date.now() + ACCOUNT_RULE.lockMs + 1000;
    const ok = await login(db, config, { email: u.email, password: u.password, ip: freshIp() }, later);
    expect(ok.user.id).toBe(u.id);
    // ... and clears the account's count.
    expect(await env.DB.prepare('SELECT 1 FROM login_throttle WHERE bucket = ?').bind(`account:${u.email}`).first()).toBeNull();
  });

  it(`${BURST} concurrent wrong guesses from one client: the same ${ACCOUNT_RULE.maxFailures}, and the refused ones do not use up the client's budget`, async () => {
    const u = await userWithPassword('researcher');
    const ip = freshIp();
    await burst(
      (i) => loginApi(u.email, `canary-guess-${i}`, ip),
      401,
      () => wrongPasswordVerifications(u.email),
    );
    // The client keeps the 5 verified failures; the 15 refused attempts gave their slots back.
    const client = await env.DB.prepare('SELECT failures, locked_until FROM login_throttle WHERE bucket = ?').bind(`client:${ip}`).first();
    expect(client).toEqual({ failures: ACCOUNT_RULE.maxFailures, locked_until: null });
  });
});

describe('the own-password limit holds under a concurrent burst', () => {
  it(`POST /api/auth/password: ${BURST} concurrent wrong current passwords → at most ${ACCOUNT_RULE.maxFailures} verifications, the rest 429`, async () => {
    const u = await userWithPassword('researcher');
    const token = ((await (await loginApi(u.email, u.password, freshIp())).json()) as { access_token: string }).access_token;
    const change = (current: string, ip: string) =>
      SELF.fetch(`${ORIGIN}/api/auth/password`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'cf-connecting-ip': ip },
        body: JSON.stringify({ current_password: current, new_password: `canary-new-${crypto.randomUUID()}` }),
      });
    await burst(
      (i) => change(`canary-guess-${i}`, freshIp()),
      422,
      () => ownPasswordVerifications(u.id),
    );
    const verifications = await ownPasswordVerifications(u.id);

    // The right current password from another client: still refused while locked.
    const right = await change(u.password, freshIp());
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    // The login form's bucket is the same account: login is locked too.
    expect((await loginApi(u.email, u.password, freshIp())).status).toBe(429);

    // After the lock, the change goes through.
    const db = openDb(env.DB);
    const config = await loadConfig(env);
    const later = Date.now() + ACCOUNT_RULE.lockMs + 1000;
    const next = `canary-next-${crypto.randomUUID()}`;
    await changeOwnPassword(db, config, u.id, u.password, next, { actor: `user:${u.id}`, ip: freshIp() }, later);
    expect(await ownPasswordVerifications(u.id)).toBe(verifications);
    expect(await env.DB.prepare('SELECT 1 FROM login_throttle WHERE bucket = ?').bind(`account:${u.email}`).first()).toBeNull();
    expect((await loginApi(u.email, next, freshIp())).status).toBe(200);
  });

  it(`/account/password form: ${BURST} concurrent wrong current passwords → at most ${ACCOUNT_RULE.maxFailures} verifications, the rest 429 with Retry-After`, async () => {
    const u = await userWithPassword('researcher');
    const cookie = await browserLogin(u, freshIp());
    const form = await openForm('/account/password', cookie);
    const next = `canary-new-${crypto.randomUUID()}`;
    // A verified wrong password is the usual Post/Redirect/Get back to the form.
    const responses = await burst(
      (i) =>
        postForm(
          '/account/password',
          form,
          { current_password: `canary-guess-${i}`, new_password: next, confirm_password: next },
          { 'cf-connecting-ip': freshIp() },
        ),
      303,
      () => ownPasswordVerifications(u.id),
    );
    const limited = responses.find((r) => r.status === 429)!;
    const html = await limited.text();
    expect(html).toContain('Too many wrong passwords');
    expect(html).toContain('name="current_password"');
    expect(html).not.toContain('canary');
  });
});
