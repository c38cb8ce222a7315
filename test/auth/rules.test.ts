// The pure rules of accounts and sessions: no bindings needed.
import { describe, expect, it } from 'vitest';
import { afterLoginPath, safeNextPath, DEFAULT_AFTER_LOGIN } from '../../src/auth/next-path.ts';
import { assertKeepsAnAdmin, changeRevokesSessions, normalizeEmail, passwordProblem } from '../../src/auth/user-rules.ts';
import { NewApiKeyBody, NewApiKeyForm, NewUserBody, UserChangesBody } from '../../src/auth/schemas.ts';
import { parseOrThrow } from '../../src/schema/validate.ts';
import {
  ACCOUNT_RULE,
  CLIENT_RULE,
  admits,
  giveBackState,
  reserveState,
  retryAfterMs,
  throttleBuckets,
  type ThrottleState,
} from '../../src/auth/throttle-policy.ts';
import { previousKeyRemoval } from '../../src/auth/signing-key-usage.ts';
import { generateApiKey, apiKeyPrefix, apiKeyMatches, apiKeyStatus } from '../../src/auth/api-keys.ts';
import { VaultError } from '../../src/errors.ts';

describe('safeNextPath: only local paths', () => {
  it.each(['/admin/users', '/admin/credentials?platform=reddit&tier=free', '/admin/audit#top', '/'])('accepts %s', (p) => {
    expect(safeNextPath(p)).toBe(p);
  });
  it.each([
    'https://evil.example/',
    '//evil.example/x',
    '/\\evil.example',
    '\\\\evil.example',
    'javascript:alert(1)',
    'admin/users',
    '/admin\tusers',
    '/admin\nusers',
    '/a\\b',
    '',
    '/login',
    '/logout',
    `/${'a'.repeat(2001)}`,
  ])('refuses %j', (p) => {
    expect(safeNextPath(p)).toBeNull();
  });
  it('refuses non-strings and falls back to the default page', () => {
    expect(safeNextPath(undefined)).toBeNull();
    expect(safeNextPath(['/admin/users'])).toBeNull();
    expect(afterLoginPath('//evil.example')).toBe(DEFAULT_AFTER_LOGIN);
    expect(afterLoginPath('/admin/users')).toBe('/admin/users');
  });
  // Odd spellings that a URL parser turns into "//host": the result is local by construction.
  it.each([
    ['/.//evil.example', '/evil.example'],
    ['/./evil.example', '/evil.example'],
    ['/a/..//evil.example', '/evil.example'],
    ['/%2e//evil.example', '/evil.example'],
    ['/.%2f/evil.example', '/.%2f/evil.example'],
    ['/..//evil.example/x?y=1#z', '/evil.example/x?y=1#z'],
  ])('normalises %j to the local path %j', (raw, local) => {
    const out = safeNextPath(raw);
    expect(out).toBe(local);
    expect(out).toMatch(/^\/[^/\\]|^\/$/);
    expect(new URL(out!, 'https://vault.test').origin).toBe('https://vault.test');
  });
  it.each(['/admin\u0085users', '/admin\u2028users', '/admin\u202eusers', '/\u2066x'])('refuses %j (the single-line rule)', (p) => {
    expect(safeNextPath(p)).toBeNull();
  });
});

describe('user rules', () => {
  it('normalises emails case-insensitively and refuses junk', () => {
    expect(normalizeEmail('  Alice@Example.ORG ')).toBe('alice@example.org');
    for (const bad of ['', 'alice', 'a b@c.d', 'a@b\u0000', 42, null, `${'a'.repeat(250)}@b.cd`]) expect(normalizeEmail(bad)).toBeNull();
  });

  it('password policy: 12 to 1024 characters, never echoed', () => {
    expect(passwordProblem('short-pw')).toMatch(/at least 12/);
    expect(passwordProblem(' '.repeat(12))).toMatch(/spaces/);
    expect(passwordProblem('x'.repeat(1025))).toMatch(/at most 1024/);
    expect(passwordProblem(undefined)).toMatch(/required/);
    expect(passwordProblem('a perfectly fine passphrase')).toBeNull();
    expect(passwordProblem('short-pw')).not.toContain('short-pw');
  });

  it('parses a new user with defaults and rejects bad roles', () => {
    const parseNewUser = (b: unknown) => parseOrThrow(NewUserBody, b);
    expect(parseNewUser({ email: 'B@x.org', password: 'twelve chars!' })).toEqual({
      email: 'b@x.org',
      password: 'twelve chars!',
      displayName: '',
      role: 'researcher',
    });
    expect(() => parseNewUser({ email: 'b@x.org', password: 'twelve chars!', role: 'root' })).toThrow(VaultError);
    expect(() => parseNewUser({ email: 'b@x.org', password: 'twelve chars!', display_name: 'a\u0007b' })).toThrow(/control/);
    expect(() => parseNewUser({ email: 'b@x.org', password: 'twelve chars!', is_admin: true })).toThrow(/is_admin: is not accepted here/);
  });

  it('parses changes and refuses unknown or empty ones', () => {
    const parseUserChanges = (b: unknown) => parseOrThrow(UserChangesBody, b);
    expect(parseUserChanges({ role: 'admin', is_active: false })).toEqual({ role: 'admin', isActive: false });
    expect(() => parseUserChanges({})).toThrow(/Nothing to change/);
    expect(() => parseUserChanges({ hashed_password: 'x' })).toThrow(/hashed_password: is not accepted here/);
    expect(() => parseUserChanges({ is_active: 'yes' })).toThrow(/true or false/);
  });

  it('never removes the last active admin', () => {
    const admin = { id: 1, role: 'admin' as const, isActive: true };
    expect(() => assertKeepsAnAdmin(admin, { role: 'researcher' }, 1)).toThrow(/last active admin/);
    expect(() => assertKeepsAnAdmin(admin, { isActive: false }, 1)).toThrow(/last active admin/);
    expect(() => assertKeepsAnAdmin(admin, { role: 'researcher' }, 2)).not.toThrow();
    expect(() => assertKeepsAnAdmin(admin, { displayName: 'x' }, 1)).not.toThrow();
    expect(() => assertKeepsAnAdmin({ id: 2, role: 'researcher', isActive: true }, { isActive: false }, 1)).not.toThrow();
  });

  it('role and activation changes end sessions; a rename does not', () => {
    const u = { id: 1, role: 'researcher' as const, isActive: true };
    expect(changeRevokesSessions(u, { role: 'admin' })).toBe(true);
    expect(changeRevokesSessions(u, { isActive: false })).toBe(true);
    expect(changeRevokesSessions(u, { role: 'researcher', isActive: true })).toBe(false);
    expect(changeRevokesSessions(u, { displayName: 'New' })).toBe(false);
  });
});

describe('throttle policy', () => {
  it('counts per account and per client', () => {
    expect(throttleBuckets('a@b.c', '203.0.113.9').map((b) => b.bucket)).toEqual(['account:a@b.c', 'client:203.0.113.9']);
    expect(throttleBuckets('a@b.c', null)[1]!.bucket).toBe('client:unknown');
  });

  it('the account bucket is cleared by a success, the client bucket only gets its slot back', () => {
    expect(throttleBuckets('a@b.c', '203.0.113.9').map((b) => b.onSuccess)).toEqual(['clear', 'give_back']);
  });

  it('locks after maxFailures reservations within the window, for lockMs; later reservations are refused', () => {
    const t0 = 1_000_000;
    let s: ThrottleState | null = null;
    for (let i = 1; i < ACCOUNT_RULE.maxFailures; i++) {
      s = reserveState(s, t0 + i, ACCOUNT_RULE);
      expect(s.lockedUntil).toBeNull();
      expect(s.failures).toBe(i);
      expect(admits(s, ACCOUNT_RULE)).toBe(true);
    }
    s = reserveState(s, t0 + 100, ACCOUNT_RULE);
    expect(admits(s, ACCOUNT_RULE)).toBe(true);
    expect(s.lockedUntil).toBe(t0 + 100 + ACCOUNT_RULE.lockMs);
    expect(retryAfterMs([s.lockedUntil], t0 + 100)).toBe(ACCOUNT_RULE.lockMs);
    expect(retryAfterMs([s.lockedUntil, null], s.lockedUntil!)).toBe(0);
    const refused = reserveState(s, t0 + 200, ACCOUNT_RULE);
    expect(admits(refused, ACCOUNT_RULE)).toBe(false);
    expect(refused.lockedUntil).toBe(s.lockedUntil); // knocking does not extend the lock
  });

  it('a burst with nothing settled yet admits exactly maxFailures', () => {
    let s: ThrottleState | null = null;
    let admitted = 0;
    for (let i = 0; i < 20; i++) {
      s = reserveState(s, 5_000, ACCOUNT_RULE);
      if (admits(s, ACCOUNT_RULE)) admitted++;
    }
    expect(admitted).toBe(ACCOUNT_RULE.maxFailures);
  });

  it('a new window, or the first reservation after a lock, starts fresh', () => {
    const s = reserveState({ failures: 4, windowStartedAt: 0, lockedUntil: null }, ACCOUNT_RULE.windowMs, ACCOUNT_RULE);
    expect(s).toEqual({ failures: 1, windowStartedAt: ACCOUNT_RULE.windowMs, lockedUntil: null });
    const after = reserveState({ failures: 9, windowStartedAt: 10, lockedUntil: 500 }, 500, ACCOUNT_RULE);
    expect(after).toEqual({ failures: 1, windowStartedAt: 500, lockedUntil: null });
  });

  it("an attacker's own valid account does not reset their client budget", () => {
    // 19 wrong guesses from one client, then a login to an account of their own, then more guesses.
    let s: ThrottleState | null = null;
    for (let i = 0; i < CLIENT_RULE.maxFailures - 1; i++) s = reserveState(s, 1000 + i, CLIENT_RULE);
    s = reserveState(s, 2000, CLIENT_RULE); // the own login: its reservation reaches the limit...
    expect(admits(s, CLIENT_RULE)).toBe(true);
    s = giveBackState(s, 2000, CLIENT_RULE); // ...and succeeds: only that slot comes back
    expect(s).toMatchObject({ failures: CLIENT_RULE.maxFailures - 1, lockedUntil: null });
    s = reserveState(s, 3000, CLIENT_RULE); // the next wrong guess is the last one
    expect(admits(s, CLIENT_RULE)).toBe(true);
    expect(s.lockedUntil).toBe(3000 + CLIENT_RULE.lockMs);
    expect(admits(reserveState(s, 3001, CLIENT_RULE), CLIENT_RULE)).toBe(false);
  });

  it('giving back ignores a reservation from a window that has since been replaced, and never goes below zero', () => {
    const s = { failures: 2, windowStartedAt: 5000, lockedUntil: null };
    expect(giveBackState(s, 4999, ACCOUNT_RULE)).toBe(s);
    expect(giveBackState({ ...s, failures: 0 }, 5000, ACCOUNT_RULE)).toEqual({ ...s, failures: 0 });
    expect(giveBackState(s, 5000, ACCOUNT_RULE)).toEqual({ ...s, failures: 1 });
  });
});

describe('previousKeyRemoval: when SECRET_KEY_PREVIOUS can go', () => {
  const life = 30 * 60;
  it('nothing to remove without a previous key', () => {
    expect(previousKeyRemoval('cur', [], [], life)).toEqual({ removableAfter: null, basis: 'no_previous_key' });
  });
  it('uses the latest recorded expiry of every previous key plus leeway', () => {
    const usage = [
      { kid: 'old1', firstSignedAt: 0, lastSignedAt: 10, lastExpiresAt: 5_000 },
      { kid: 'old2', firstSignedAt: 0, lastSignedAt: 10, lastExpiresAt: 9_000 },
    ];
    expect(previousKeyRemoval('cur', ['old1', 'old2'], usage, life, 30)).toEqual({ removableAfter: 39_000, basis: 'recorded_token_expiry' });
  });
  it('falls back to the current key’s first token plus one lifetime when a previous key left no record', () => {
    const usage = [{ kid: 'cur', firstSignedAt: 100_000, lastSignedAt: 200_000, lastExpiresAt: 2_000_000 }];
    expect(previousKeyRemoval('cur', ['old'], usage, life, 30)).toEqual({ removableAfter: 100_000 + life * 1000 + 30_000, basis: 'current_key_first_use' });
    expect(previousKeyRemoval('cur', ['old'], [], life)).toEqual({ removableAfter: null, basis: 'unknown' });
  });
});

describe('API key format and input', () => {
  it('generates av_<12 alnum>_<43 base64url>, stores only a hash', () => {
    const k = generateApiKey();
    expect(k.key).toMatch(/^av_[A-Za-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(apiKeyPrefix(k.key)).toBe(k.prefix);
    expect(k.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(k.hash).not.toContain(k.key.slice(16));
    expect(apiKeyMatches(k.key, k.hash)).toBe(true);
    expect(apiKeyMatches(k.key.slice(0, -1) + (k.key.endsWith('A') ? 'B' : 'A'), k.hash)).toBe(false);
  });
  it('validates name, scope and owner', () => {
    const parseNewApiKey = (b: unknown) => parseOrThrow(NewApiKeyBody, b);
    expect(parseNewApiKey({ name: ' reddit ', scope: 'collector' })).toEqual({ name: 'reddit', scope: 'collector', userId: null, expiresAt: null });
    expect(parseNewApiKey({ name: 'x', scope: 'admin', user_id: 3 })).toEqual({ name: 'x', scope: 'admin', userId: 3, expiresAt: null });
    // The form sends strings; the same rules apply.
    expect(parseOrThrow(NewApiKeyForm, { name: 'x', scope: 'admin', user_id: '3', expires_at: '' })).toEqual({
      name: 'x',
      scope: 'admin',
      userId: 3,
      expiresAt: null,
    });
    expect(() => parseNewApiKey({ name: '', scope: 'collector' })).toThrow(/name/);
    expect(() => parseNewApiKey({ name: 'x', scope: 'root' })).toThrow(/scope/);
    expect(() => parseNewApiKey({ name: 'x', scope: 'collector', user_id: -1 })).toThrow(/user_id/);
  });
  it('takes an optional expiry in the future: a date means the end of that day (UTC)', () => {
    const parseNewApiKey = (b: unknown) => parseOrThrow(NewApiKeyBody, b);
    expect(parseNewApiKey({ name: 'x', scope: 'collector', expires_at: '2099-06-30' }).expiresAt).toBe(Date.parse('2099-07-01T00:00:00Z') - 1);
    expect(parseNewApiKey({ name: 'x', scope: 'collector', expires_at: '2099-06-02T08:00:00+02:00' }).expiresAt).toBe(Date.parse('2099-06-02T06:00:00Z'));
    expect(parseNewApiKey({ name: 'x', scope: 'collector', expires_at: null }).expiresAt).toBeNull();
    expect(parseOrThrow(NewApiKeyForm, { name: 'x', scope: 'collector', expires_at: '' }).expiresAt).toBeNull();
    expect(() => parseNewApiKey({ name: 'x', scope: 'collector', expires_at: '2001-05-31' })).toThrow(/expires_at: must be in the future/);
    expect(() => parseNewApiKey({ name: 'x', scope: 'collector', expires_at: 'next week' })).toThrow(/expires_at/);
    expect(() => parseNewApiKey({ name: 'x', scope: 'collector', expires_at: 1_900_000_000_000 })).toThrow(/expires_at/);
  });
  it('knows a key as active, revoked or expired, and revoked wins', () => {
    const now = 1_000_000;
    expect(apiKeyStatus({ revokedAt: null, expiresAt: null }, now)).toBe('active');
    expect(apiKeyStatus({ revokedAt: null, expiresAt: now + 1 }, now)).toBe('active');
    expect(apiKeyStatus({ revokedAt: null, expiresAt: now }, now)).toBe('expired');
    expect(apiKeyStatus({ revokedAt: 5, expiresAt: now - 1 }, now)).toBe('revoked');
  });
});
