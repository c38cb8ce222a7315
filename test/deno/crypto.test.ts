// The crypto core under Deno: the same src/crypto modules the Worker runs,
// checked against the Fernet spec vectors, pyca-made tokens, key ids
// computed by Python's hashlib, and password hashes made by hashlib.
import assert from 'node:assert/strict';
import { Fernet, InvalidFernetKey, InvalidToken, MultiFernet } from '../../src/crypto/fernet.ts';
import { keyIdOf } from '../../src/crypto/key-id.ts';
import { CredentialKeyRing, SigningKeyRing } from '../../src/crypto/key-ring.ts';
import { hexEncode } from '../../src/crypto/encoding.ts';
import { checkParams, hashPassword, needsRehash, parsePasswordHash, PBKDF2_MAX_ITERATIONS, verifyPassword } from '../../src/crypto/password.ts';
import { VaultError } from '../../src/errors.ts';
import { TEST_CREDENTIAL_KEY, TEST_CREDENTIAL_KEY_2, TEST_SECRET_KEY } from '../support/keys.ts';
import { b64, readJson, rejection, seconds, textOf } from './support.ts';

interface SpecVector {
  token: string;
  now: string;
  iv?: number[];
  src?: string;
  secret: string;
  ttl_sec?: number;
  desc?: string;
}
const SPEC = 'test/fixtures/fernet/spec';
const generate = readJson<SpecVector[]>(`${SPEC}/generate.json`);
const verify = readJson<SpecVector[]>(`${SPEC}/verify.json`);
const invalid = [...readJson<SpecVector[]>(`${SPEC}/invalid.json`), ...readJson<SpecVector[]>(`${SPEC}/invalid-strict-base64.json`)];

Deno.test('spec generate.json: encryptAtTime reproduces every token', async () => {
  assert.ok(generate.length > 0);
  for (const v of generate) {
    const f = await Fernet.fromKey(v.secret);
    assert.equal(await f.encryptAtTime(v.src!, seconds(v.now), Uint8Array.from(v.iv!)), v.token);
  }
});

Deno.test('spec verify.json: every token decrypts with its ttl and time, alone and in a MultiFernet', async () => {
  assert.ok(verify.length > 0);
  for (const v of verify) {
    const f = await Fernet.fromKey(v.secret);
    const opts = { ttl: v.ttl_sec, now: seconds(v.now) };
    assert.equal(textOf(await f.decrypt(v.token, opts)), v.src);
    assert.equal(textOf(await new MultiFernet([f]).decrypt(v.token, opts)), v.src);
  }
});

Deno.test('spec invalid vectors: every one is InvalidToken and nothing else', async () => {
  assert.ok(invalid.length > 5);
  for (const v of invalid) {
    const f = await Fernet.fromKey(v.secret);
    const e = await rejection(() => f.decrypt(v.token, { ttl: v.ttl_sec, now: seconds(v.now) }));
    assert.ok(e instanceof InvalidToken, `${v.desc}: ${e}`);
  }
});

interface PyToken {
  name: string;
  key: string;
  timestamp: number;
  iv: string;
  plaintext: string;
  token: string;
}
Deno.test('pyca tokens: decrypt byte-exact and re-encrypt to the same bytes', async () => {
  const { tokens } = readJson<{ tokens: PyToken[] }>('test/fixtures/fernet/python-tokens.json');
  assert.ok(tokens.length > 0);
  for (const t of tokens) {
    const f = await Fernet.fromKey(t.key);
    assert.equal(hexEncode(await f.decrypt(t.token)), hexEncode(b64(t.plaintext)), t.name);
    assert.equal(await f.encryptAtTime(b64(t.plaintext), t.timestamp, b64(t.iv)), t.token, t.name);
  }
});

Deno.test('pyca MultiFernet.rotate: its rotated tokens open under the new key only, and ours rotate the same way', async () => {
  const r = readJson<{
    old_key: string;
    new_key: string;
    rotations: { name: string; timestamp: number; plaintext: string; original: string; rotated: string }[];
  }>('test/fixtures/fernet/python-rotate.json');
  const [neu, old] = await Promise.all([Fernet.fromKey(r.new_key), Fernet.fromKey(r.old_key)]);
  for (const x of r.rotations) {
    assert.equal(hexEncode(await neu.decrypt(x.rotated)), hexEncode(b64(x.plaintext)));
    assert.ok((await rejection(() => old.decrypt(x.rotated))) instanceof InvalidToken);
    const ours = await new MultiFernet([neu, old]).rotate(x.original);
    assert.equal(await neu.extractTimestamp(ours), x.timestamp);
  }
});

Deno.test('a malformed Fernet key is InvalidFernetKey, never InvalidToken', async () => {
  for (const bad of ['', 'short', 'A'.repeat(44), TEST_CREDENTIAL_KEY.slice(0, 40)]) {
    assert.ok((await rejection(() => Fernet.fromKey(bad))) instanceof InvalidFernetKey, bad);
  }
});

Deno.test('key ids equal hashlib.sha256(raw)[:8] for a Fernet key and a JWT secret', async () => {
  // Values computed with Python: hashlib.sha256(urlsafe_b64decode(key)).hexdigest()[:16], and of the secret's UTF-8.
  assert.equal((await Fernet.fromKey(TEST_CREDENTIAL_KEY)).keyId, 'ba06d98e1dbb2d08');
  assert.equal(keyIdOf(b64(TEST_CREDENTIAL_KEY)), 'ba06d98e1dbb2d08');
  assert.equal(new SigningKeyRing(TEST_SECRET_KEY).current.kid, '91ff24eac64e5de0');
});

Deno.test('credential key ring: current encrypts, previous decrypts, a missing key and a tampered token are told apart', async () => {
  const oldRing = await CredentialKeyRing.fromKeys(TEST_CREDENTIAL_KEY_2);
  const sealed = await oldRing.encrypt('{"api_key":"canary-deno-1"}');
  const ring = await CredentialKeyRing.fromKeys(TEST_CREDENTIAL_KEY, [TEST_CREDENTIAL_KEY_2]);
  assert.equal(sealed.keyId, ring.previousKeyIds[0]);
  assert.equal(ring.statusOf(sealed.keyId), 'previous');
  assert.equal(textOf(await ring.decrypt(sealed.token, sealed.keyId)), '{"api_key":"canary-deno-1"}');
  const fresh = await ring.encrypt('x');
  assert.equal(fresh.keyId, ring.currentKeyId);

  const missing = await rejection(() => CredentialKeyRing.fromKeys(TEST_CREDENTIAL_KEY).then((r) => r.decrypt(sealed.token, sealed.keyId)));
  assert.ok(missing instanceof VaultError && missing.code === 'KEY_MISSING');
  const tampered = sealed.token.slice(0, 30) + (sealed.token[30] === 'A' ? 'B' : 'A') + sealed.token.slice(31);
  const bad = await rejection(() => ring.decrypt(tampered, sealed.keyId));
  assert.ok(bad instanceof VaultError && bad.code === 'UNDECRYPTABLE');
  assert.ok(!String((bad as Error).message).includes('canary'));
});

Deno.test('password hashing: scrypt round trip with the recorded parameters; wrong password fails', async () => {
  const stored = await hashPassword('correct horse battery staple');
  assert.match(stored, /^scrypt\$ln=\d+,r=\d+,p=\d+\$/);
  assert.ok(!stored.includes('correct horse'));
  assert.equal(await verifyPassword('correct horse battery staple', stored), true);
  assert.equal(await verifyPassword('correct horse battery stapler', stored), false);
  assert.equal(needsRehash(stored), false);
});

Deno.test('password hashing: verifies hashes made by Python hashlib (scrypt and PBKDF2), NFC-normalised', async () => {
  const pbkdf2 = 'pbkdf2-sha256$i=1000$AAECAwQFBgcICQoLDA0ODw==$L1aYbGjzdoPwxPhGrTdCzJAIXgv98gXX9F7Efjyq3Og=';
  const scrypt = 'scrypt$ln=10,r=8,p=1$AAECAwQFBgcICQoLDA0ODw==$-klCkubs0ckYiTbZO4MWS3k2LxOt6MCvuou-ZUKyyp4=';
  for (const h of [pbkdf2, scrypt]) {
    assert.equal(await verifyPassword('pässwörd', h), true, h.slice(0, 12));
    assert.equal(await verifyPassword('pässwörd'.normalize('NFD'), h), true);
    assert.equal(await verifyPassword('passwort', h), false);
    assert.equal(needsRehash(h), true);
  }
});

Deno.test('password hashing: PBKDF2 above the production Workers cap is refused everywhere', async () => {
  assert.throws(() => checkParams({ alg: 'pbkdf2-sha256', i: PBKDF2_MAX_ITERATIONS + 1 }), RangeError);
  assert.ok((await rejection(() => hashPassword('x', { alg: 'pbkdf2-sha256', i: PBKDF2_MAX_ITERATIONS + 1 }))) instanceof RangeError);
  const over = `pbkdf2-sha256$i=${PBKDF2_MAX_ITERATIONS + 1}$AAECAwQFBgcICQoLDA0ODw==$L1aYbGjzdoPwxPhGrTdCzJAIXgv98gXX9F7Efjyq3Og=`;
  assert.equal(parsePasswordHash(over), null);
  assert.equal(await verifyPassword('pässwörd', over), false);
});
