// Config parsing and access-token logic under Deno: the same modules the
// Worker uses, no bindings needed.
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { parseConfig, type RawBindings } from '../../src/config.ts';
import { issueAccessToken, TOKEN_AUDIENCE, TOKEN_ISSUER, verifyAccessToken } from '../../src/auth/tokens.ts';
import { VaultError } from '../../src/errors.ts';
import { TEST_CREDENTIAL_KEY, TEST_CREDENTIAL_KEY_2, TEST_SECRET_KEY, TEST_SECRET_KEY_2 } from '../support/keys.ts';
import { rejection } from './support.ts';

const good: RawBindings = { SECRET_KEY: TEST_SECRET_KEY, CREDENTIAL_ENCRYPTION_KEY: TEST_CREDENTIAL_KEY };

async function configOf(raw: RawBindings) {
  const { config, problems } = await parseConfig(raw);
  assert.deepEqual(problems, []);
  return config!;
}

Deno.test('config: valid bindings give both rings and the default token lifetime', async () => {
  const c = await configOf({ ...good, SECRET_KEY_PREVIOUS: TEST_SECRET_KEY_2, CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: ` ${TEST_CREDENTIAL_KEY_2} ` });
  assert.equal(c.accessTokenMinutes, 30);
  assert.equal(c.credentialKeys.previous.length, 1);
  assert.equal(c.signingKeys.previous.length, 1);
});

Deno.test('config: each bad binding is named with a fix, and no value is echoed', async () => {
  const weak = 'abc123';
  const { config, problems } = await parseConfig({
    SECRET_KEY: weak,
    CREDENTIAL_ENCRYPTION_KEY: 'not-a-fernet-key-canary',
    CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: 'not-a-fernet-key-canary',
    ACCESS_TOKEN_EXPIRE_MINUTES: '0',
  });
  assert.equal(config, undefined);
  const named = new Set(problems.map((p) => p.binding));
  for (const b of ['SECRET_KEY', 'CREDENTIAL_ENCRYPTION_KEY', 'CREDENTIAL_ENCRYPTION_KEY_PREVIOUS', 'ACCESS_TOKEN_EXPIRE_MINUTES'])
    assert.ok(named.has(b as never), b);
  const text = JSON.stringify(problems);
  assert.ok(!text.includes('canary') && !text.includes(weak));
  assert.ok(problems.every((p) => p.fix.length > 0));
});

Deno.test('config: missing secrets and a previous key equal to the current one are problems', async () => {
  const { problems } = await parseConfig({ SECRET_KEY: TEST_SECRET_KEY, SECRET_KEY_PREVIOUS: TEST_SECRET_KEY });
  const named = problems.map((p) => p.binding);
  assert.ok(named.includes('CREDENTIAL_ENCRYPTION_KEY'));
  assert.ok(named.includes('SECRET_KEY_PREVIOUS'));
});

Deno.test('tokens: signed with the current key (kid in the header), verified, claims kept', async () => {
  const c = await configOf({ ...good, SECRET_KEY_PREVIOUS: TEST_SECRET_KEY_2, ACCESS_TOKEN_EXPIRE_MINUTES: '15' });
  const issued = await issueAccessToken(c, { id: 7, role: 'admin', tokenVersion: 3 }, 'password', 1_800_000_000);
  const header = JSON.parse(atob(issued.token.split('.')[0]!.replace(/-/g, '+').replace(/_/g, '/')));
  assert.equal(header.alg, 'HS256');
  assert.equal(header.kid, c.signingKeys.current.kid);
  assert.equal(issued.expiresIn, 15 * 60);
  const claims = await verifyAccessToken(c, issued.token, 1_800_000_100);
  assert.deepEqual(claims, { sub: '7', role: 'admin', ver: 3, method: 'password', iat: 1_800_000_000, exp: 1_800_000_900 });
});

Deno.test('tokens: a token of the previous key verifies during the overlap and fails once the key is removed', async () => {
  const before = await configOf({ SECRET_KEY: TEST_SECRET_KEY_2, CREDENTIAL_ENCRYPTION_KEY: TEST_CREDENTIAL_KEY });
  const { token } = await issueAccessToken(before, { id: 1, role: 'researcher', tokenVersion: 0 }, 'password');
  const overlap = await configOf({ ...good, SECRET_KEY_PREVIOUS: TEST_SECRET_KEY_2 });
  assert.equal((await verifyAccessToken(overlap, token)).sub, '1');
  const after = await configOf(good);
  const e = await rejection(() => verifyAccessToken(after, token));
  assert.ok(e instanceof VaultError && e.code === 'UNAUTHENTICATED');
});

Deno.test('tokens: expired, wrong audience, alg none and another algorithm are all UNAUTHENTICATED', async () => {
  const c = await configOf(good);
  const now = 1_800_000_000;
  const { token } = await issueAccessToken(c, { id: 1, role: 'admin', tokenVersion: 0 }, 'password', now);
  const expired = await rejection(() => verifyAccessToken(c, token, now + 31 * 60 + 60));
  const key = c.signingKeys.current;
  const wrongAud = await new SignJWT({ role: 'admin', ver: 0 })
    .setProtectedHeader({ alg: 'HS256', kid: key.kid })
    .setSubject('1')
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .setAudience('someone-else')
    .setIssuer(TOKEN_ISSUER)
    .sign(key.secret);
  const hs512 = await new SignJWT({ role: 'admin', ver: 0 })
    .setProtectedHeader({ alg: 'HS512', kid: key.kid })
    .setSubject('1')
    .setIssuedAt(now)
    .setExpirationTime(now + 60)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuer(TOKEN_ISSUER)
    .sign(new Uint8Array(64).fill(1));
  const enc = (o: unknown) => btoa(JSON.stringify(o)).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
  const none = `${enc({ alg: 'none', kid: key.kid })}.${enc({ sub: '1', role: 'admin', ver: 0, iat: now, exp: now + 60, aud: TOKEN_AUDIENCE, iss: TOKEN_ISSUER })}.`;
  const results = [expired, ...(await Promise.all([wrongAud, hs512, none].map((t) => rejection(() => verifyAccessToken(c, t, now)))))];
  for (const e of results) assert.ok(e instanceof VaultError && e.code === 'UNAUTHENTICATED', String(e));
});
