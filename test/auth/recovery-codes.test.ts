// Recovery codes through the real Worker: shown once, stored hashed, single-use,
// a sign-in as strong as a passkey, rate-limited like the password, audited.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { auditText, captureConsole, userWithPassword } from './support.ts';
import { call, claimsOf, passwordToken } from './passkey-support.ts';
import { hashRecoveryCode, normalizeRecoveryCode } from '../../src/auth/recovery-codes.ts';

async function withCodes() {
  const u = await userWithPassword('researcher');
  const token = await passwordToken(u);
  const r = await call('POST', '/api/auth/recovery-codes', { token });
  expect(r.status).toBe(201);
  return { u, token, codes: r.body.codes as string[] };
}

describe('recovery codes', () => {
  it('201 {codes: [10 distinct codes]}; only SHA-256 hashes are stored; a new set replaces the old one', async () => {
    expect((await call('POST', '/api/auth/recovery-codes')).status).toBe(401);
    const { u, token, codes } = await withCodes();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(normalizeRecoveryCode(c)).toMatch(/^[0-9a-z]{26}$/);
    const { results } = await env.DB.prepare('SELECT code_hash FROM recovery_codes WHERE user_id = ?').bind(u.id).all<{ code_hash: string }>();
    expect(results.map((r) => r.code_hash).sort()).toEqual((await Promise.all(codes.map((c) => hashRecoveryCode(normalizeRecoveryCode(c)!)))).sort());
    const again = await call('POST', '/api/auth/recovery-codes', { token });
    const old = await call('POST', '/api/auth/recovery/login', { json: { email: u.email, code: codes[0] } });
    expect(old.status).toBe(401);
    const fresh = await call('POST', '/api/auth/recovery/login', { json: { email: u.email, code: again.body.codes[0] } });
    expect(fresh.status).toBe(200);
  });

  it('signs in with method recovery (strong), once per code; dashes, spaces and case do not matter; audited', async () => {
    const { u, codes } = await withCodes();
    const typed = ` ${codes[3]!.toUpperCase().replace(/-/g, ' ')} `;
    const r = await call('POST', '/api/auth/recovery/login', { json: { email: u.email.toUpperCase(), code: typed } });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(claimsOf(r.body.access_token).method).toBe('recovery');
    const twice = await call('POST', '/api/auth/recovery/login', { json: { email: u.email, code: codes[3] } });
    expect(twice.status).toBe(401);
    expect(twice.body.error.code).toBe('UNAUTHENTICATED');
    const audit = await auditText();
    expect(audit).toContain(`"auth.recovery_code_used","target":"user:${u.id}"`);
    expect(audit).toContain('auth.recovery_codes_generated');
  });

  it("another user's code, a deactivated user, an unknown email: the same generic 401", async () => {
    const a = await withCodes();
    const b = await withCodes();
    const refusals = [
      await call('POST', '/api/auth/recovery/login', { json: { email: a.u.email, code: b.codes[0] } }),
      await call('POST', '/api/auth/recovery/login', { json: { email: 'nobody@example.test', code: b.codes[0] } }),
    ];
    await env.DB.prepare('UPDATE users SET is_active = 0 WHERE id = ?').bind(b.u.id).run();
    refusals.push(await call('POST', '/api/auth/recovery/login', { json: { email: b.u.email, code: b.codes[1] } }));
    for (const r of refusals) expect(r.body.error).toMatchObject({ code: 'UNAUTHENTICATED', message: 'Incorrect email or recovery code.' });
    // The deactivated user's code was not used up by the refusal.
    expect(
      (await env.DB.prepare('SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = ? AND used_at IS NOT NULL').bind(b.u.id).first<{ n: number }>())!.n,
    ).toBe(0);
  });

  it('rate-limited like the password: the sixth wrong code for an account is 429, even with a right code', async () => {
    const { u, codes } = await withCodes();
    for (let i = 0; i < 5; i++) {
      const r = await call('POST', '/api/auth/recovery/login', {
        json: { email: u.email, code: 'aaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aa' },
        ip: `198.51.100.${i + 1}`,
      });
      expect(r.status).toBe(401);
    }
    const locked = await call('POST', '/api/auth/recovery/login', { json: { email: u.email, code: codes[0] }, ip: '198.51.100.99' });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('RATE_LIMITED');
  });

  it('canary: a code appears in no log, audit event or error', async () => {
    const { u, codes } = await withCodes();
    const { output, result } = await captureConsole(async () => [
      await call('POST', '/api/auth/recovery/login', { json: { email: u.email, code: codes[5] } }),
      await call('POST', '/api/auth/recovery/login', { json: { email: u.email, code: codes[5] } }),
    ]);
    expect(result.map((r) => r.status)).toEqual([200, 401]);
    const audit = await auditText();
    for (const code of codes) {
      const bare = normalizeRecoveryCode(code)!;
      for (const text of [output, audit, JSON.stringify(result[1]!.body)]) {
        expect(text).not.toContain(code);
        expect(text).not.toContain(bare);
      }
    }
  });
});
