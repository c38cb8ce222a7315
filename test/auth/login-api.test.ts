// POST /api/auth/login, /me, /logout-all, /password; brute-force limits in D1;
// audit events; hash upgrade on login; no password anywhere it should not be.
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { hashPassword, parsePasswordHash, CURRENT_PASSWORD_PARAMS } from '../../src/crypto/password.ts';
import { openDb } from '../../src/db/client.ts';
import { giveBackStatement, reserveStatement } from '../../src/auth/login-throttle.ts';
import { ACCOUNT_RULE, CLIENT_RULE, admits, giveBackState, reserveState, type ThrottleState } from '../../src/auth/throttle-policy.ts';
import { ORIGIN, auditText, captureConsole, userWithPassword } from './support.ts';

let ipSeq = 0;
const freshIp = () => `203.0.113.${++ipSeq}`;

function loginApi(email: string, password: string, ip = freshIp()) {
  return SELF.fetch(`${ORIGIN}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip },
    body: JSON.stringify({ email, password }),
  });
}

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
type TokenBody = { access_token: string; token_type: string; expires_in: number };

describe('POST /api/auth/login', () => {
  it('returns a bearer token; /me returns the user without the hash; audit says who and from where, never the password', async () => {
    const u = await userWithPassword('researcher');
    const ip = freshIp();
    const { result: res, output } = await captureConsole(() => loginApi(u.email.toUpperCase(), u.password, ip));
    expect(res.status).toBe(200);
    const text = await res.text();
    const body = JSON.parse(text) as TokenBody;
    expect(body.token_type).toBe('bearer');
    expect(body.expires_in).toBe(1800);
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    const me = await SELF.fetch(`${ORIGIN}/api/auth/me`, { headers: bearer(body.access_token) });
    expect(me.status).toBe(200);
    const meText = await me.text();
    const user = JSON.parse(meText);
    expect(user).toMatchObject({ id: u.id, email: u.email, role: 'researcher', is_active: true });
    expect(user.last_login_at).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(meText).not.toMatch(/hash|scrypt/i);
    const audit = await env.DB.prepare("SELECT * FROM audit_events WHERE action = 'auth.login' AND actor = ?").bind(`user:${u.id}`).first();
    expect(audit).toMatchObject({ ip, target: `user:${u.id}` });
    for (const place of [text, meText, output, await auditText()]) expect(place).not.toContain(u.password);
  });

  it('wrong password and unknown email get the same generic 401, and both are audited without the password', async () => {
    const u = await userWithPassword('researcher');
    const wrong = await loginApi(u.email, 'canary-wrong-password-1');
    const unknown = await loginApi('nobody-here@example.test', 'canary-wrong-password-2');
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    // Each body names its own request (error.request_id); apart from that they are the same.
    const a = (await wrong.json()) as { error: Record<string, unknown> };
    const b = (await unknown.json()) as { error: Record<string, unknown> };
    expect(a.error.request_id).toBe(wrong.headers.get('X-Request-Id'));
    delete a.error.request_id;
    delete b.error.request_id;
    expect(a).toEqual(b);
    expect(a).toEqual({ error: { code: 'UNAUTHENTICATED', message: 'Incorrect email or password.' } });
    const { results } = await env.DB.prepare("SELECT target, detail FROM audit_events WHERE action = 'auth.login_failed' AND target IN (?, ?)")
      .bind(`email:${u.email}`, 'email:nobody-here@example.test')
      .all<{ target: string; detail: string }>();
    expect(results.map((r) => JSON.parse(r.detail).reason).sort()).toEqual(['unknown_email', 'wrong_password']);
    expect(await auditText()).not.toContain('canary-wrong-password');
  });

  it('an inactive user with the right password gets the same generic 401', async () => {
    const u = await userWithPassword('admin', { active: false });
    const res = await loginApi(u.email, u.password);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('Incorrect email or password.');
  });

  it('malformed JSON is 400 INVALID_JSON; missing fields are 422', async () => {
    const bad = await SELF.fetch(`${ORIGIN}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"email":' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('INVALID_JSON');
    const missing = await SELF.fetch(`${ORIGIN}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email":"a@b.c"}',
    });
    expect(missing.status).toBe(422);
  });

  it('upgrades an outdated hash on the next successful login', async () => {
    const password = `canary-pw-${crypto.randomUUID()}`;
    const u = await userWithPassword('researcher', { password, hash: await hashPassword(password, { alg: 'pbkdf2-sha256', i: 100_000 }) });
    expect((await loginApi(u.email, password)).status).toBe(200);
    const row = await env.DB.prepare('SELECT hashed_password FROM users WHERE id = ?').bind(u.id).first<{ hashed_password: string }>();
    expect(parsePasswordHash(row!.hashed_password)?.params).toEqual(CURRENT_PASSWORD_PARAMS);
    expect((await loginApi(u.email, password)).status).toBe(200);
    const audit = await env.DB.prepare("SELECT detail FROM audit_events WHERE action = 'auth.login' AND actor = ? ORDER BY id")
      .bind(`user:${u.id}`)
      .all<{ detail: string | null }>();
    expect(audit.results.map((r) => r.detail)).toEqual(['{"hash_upgraded":true}', null]);
  });
});

describe('brute-force limits (D1 table login_throttle)', () => {
  it(`per account: after ${ACCOUNT_RULE.maxFailures} failures from anywhere, 429 with Retry-After, even with the right password`, async () => {
    const u = await userWithPassword('researcher');
    for (let i = 0; i < ACCOUNT_RULE.maxFailures; i++) expect((await loginApi(u.email, `canary-guess-${i}`)).status).toBe(401);
    const res = await loginApi(u.email, u.password);
    expect(res.status).toBe(429);
    const retry = Number(res.headers.get('retry-after'));
    expect(retry).toBeGreaterThan(ACCOUNT_RULE.lockMs / 1000 - 60);
    expect(retry).toBeLessThanOrEqual(ACCOUNT_RULE.lockMs / 1000);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    const row = await env.DB.prepare('SELECT failures, locked_until FROM login_throttle WHERE bucket = ?')
      .bind(`account:${u.email}`)
      .first<{ failures: number; locked_until: number }>();
    // The refused attempt is counted too (it is how a refusal is told apart), without moving the lock.
    expect(row!.failures).toBe(ACCOUNT_RULE.maxFailures + 1);
    expect(row!.locked_until).toBeGreaterThan(Date.now());
    // Another account is unaffected; once the lock lapses, the right password works again.
    const other = await userWithPassword('researcher');
    expect((await loginApi(other.email, other.password)).status).toBe(200);
    await env.DB.prepare('UPDATE login_throttle SET locked_until = ?, window_started_at = 0 WHERE bucket = ?')
      .bind(Date.now() - 1, `account:${u.email}`)
      .run();
    expect((await loginApi(u.email, u.password)).status).toBe(200);
  });

  it(`per client (CF-Connecting-IP): after ${CLIENT_RULE.maxFailures} failures over many accounts, that client gets 429; others do not`, async () => {
    const ip = '198.18.0.66';
    for (let i = 0; i < CLIENT_RULE.maxFailures; i++) expect((await loginApi(`spray-${i}@example.test`, 'canary-spray', ip)).status).toBe(401);
    const victim = await userWithPassword('researcher');
    const blocked = await loginApi(victim.email, victim.password, ip);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await loginApi(victim.email, victim.password, '198.18.0.67')).status).toBe(200);
  });

  it('a successful login clears the account count but not the client count', async () => {
    const u = await userWithPassword('researcher');
    const ip = '198.18.1.1';
    for (let i = 0; i < ACCOUNT_RULE.maxFailures - 1; i++) await loginApi(u.email, 'canary-typo', ip);
    expect((await loginApi(u.email, u.password, ip)).status).toBe(200);
    expect(await env.DB.prepare('SELECT 1 FROM login_throttle WHERE bucket = ?').bind(`account:${u.email}`).first()).toBeNull();
    const client = await env.DB.prepare('SELECT failures FROM login_throttle WHERE bucket = ?').bind(`client:${ip}`).first<{ failures: number }>();
    expect(client!.failures).toBe(ACCOUNT_RULE.maxFailures - 1);
  });

  it('the SQL statements follow the same rules as reserveState / giveBackState, step by step', async () => {
    const db = openDb(env.DB);
    const rule = { maxFailures: 3, windowMs: 1000, lockMs: 500 };
    const bucket = `account:rule-check-${crypto.randomUUID()}`;
    let expected: ThrottleState | null = null;
    // [operation, time, reservation time for give-back]: windows, a lock, reservations while locked,
    // give-backs that lift a lock, that keep one, and one from a window that has since been replaced.
    const steps: ['reserve' | 'give_back', number, number?][] = [
      ['reserve', 10_000],
      ['reserve', 10_100],
      ['give_back', 10_150, 10_100],
      ['reserve', 10_200],
      ['reserve', 10_300],
      ['give_back', 10_310, 10_300],
      ['reserve', 10_320],
      ['reserve', 10_400],
      ['reserve', 10_819],
      ['give_back', 10_830, 10_320],
      ['reserve', 10_900],
      ['reserve', 11_500],
      ['give_back', 11_510, 10_900],
      ['reserve', 11_600],
      ['reserve', 11_700],
      ['reserve', 11_800],
      ['reserve', 12_100],
      ['reserve', 12_200],
      ['give_back', 12_300, 12_100],
      ['reserve', 14_000],
    ];
    const admitted: boolean[] = [];
    for (const [op, t, reservedAt] of steps) {
      if (op === 'reserve') {
        const [row] = await reserveStatement(db, { bucket, rule, onSuccess: 'clear' }, t);
        expected = reserveState(expected, t, rule);
        expect(row).toEqual(expected);
        admitted.push(admits(row!, rule));
      } else {
        await giveBackStatement(db, bucket, rule, reservedAt!);
        expected = giveBackState(expected!, reservedAt!, rule);
      }
      const row = await env.DB.prepare('SELECT failures, window_started_at, locked_until FROM login_throttle WHERE bucket = ?').bind(bucket).first();
      expect(row).toEqual({ failures: expected.failures, window_started_at: expected.windowStartedAt, locked_until: expected.lockedUntil });
    }
    // The walk went through refusals and admissions both.
    expect(admitted).toContain(true);
    expect(admitted).toContain(false);
  });
});

describe('sessions end on demand', () => {
  it('POST /api/auth/logout-all bumps token_version: every earlier token stops working', async () => {
    const u = await userWithPassword('researcher');
    const t1 = ((await (await loginApi(u.email, u.password)).json()) as TokenBody).access_token;
    const t2 = ((await (await loginApi(u.email, u.password)).json()) as TokenBody).access_token;
    const out = await SELF.fetch(`${ORIGIN}/api/auth/logout-all`, { method: 'POST', headers: bearer(t1) });
    expect(out.status).toBe(204);
    for (const t of [t1, t2]) expect((await SELF.fetch(`${ORIGIN}/api/auth/me`, { headers: bearer(t) })).status).toBe(401);
    const t3 = ((await (await loginApi(u.email, u.password)).json()) as TokenBody).access_token;
    expect((await SELF.fetch(`${ORIGIN}/api/auth/me`, { headers: bearer(t3) })).status).toBe(200);
    expect(await env.DB.prepare("SELECT 1 FROM audit_events WHERE action = 'auth.logout_all' AND target = ?").bind(`user:${u.id}`).first()).not.toBeNull();
  });

  it('POST /api/auth/password changes the password given the current one and ends other sessions', async () => {
    const u = await userWithPassword('researcher');
    const old = ((await (await loginApi(u.email, u.password)).json()) as TokenBody).access_token;
    const change = (current: string, next: string) =>
      SELF.fetch(`${ORIGIN}/api/auth/password`, {
        method: 'POST',
        headers: { ...bearer(old), 'content-type': 'application/json' },
        body: JSON.stringify({ current_password: current, new_password: next }),
      });
    const wrong = await change('canary-not-it', 'canary-new-password-1');
    expect(wrong.status).toBe(422);
    const wrongText = await wrong.text();
    expect(wrongText).not.toContain('canary');
    expect(JSON.parse(wrongText).error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: { field: 'current_password', fields: [{ field: 'current_password' }] },
    });
    expect((await change(u.password, 'short')).status).toBe(422);
    const newPassword = `canary-new-${crypto.randomUUID()}`;
    const ok = await change(u.password, newPassword);
    expect(ok.status).toBe(200);
    const fresh = ((await ok.json()) as TokenBody).access_token;
    expect((await SELF.fetch(`${ORIGIN}/api/auth/me`, { headers: bearer(old) })).status).toBe(401);
    expect((await SELF.fetch(`${ORIGIN}/api/auth/me`, { headers: bearer(fresh) })).status).toBe(200);
    expect((await loginApi(u.email, u.password)).status).toBe(401);
    expect((await loginApi(u.email, newPassword)).status).toBe(200);
    expect(await auditText()).not.toContain(newPassword);
  });
});
