// Password hashing inside workerd (the production runtime): format, verify,
// upgrade path, the PBKDF2 cap production Workers enforce, and bounds.
import { describe, expect, it } from 'vitest';
import {
  CURRENT_PASSWORD_PARAMS,
  PBKDF2_MAX_ITERATIONS,
  decoyPasswordHash,
  hashPassword,
  needsRehash,
  parsePasswordHash,
  verifyPassword,
} from '../../src/crypto/password.ts';
import { base64urlEncode } from '../../src/crypto/encoding.ts';

const PW = 'correct horse battery staple';

describe('hashPassword / verifyPassword (scrypt, current parameters)', () => {
  it('records algorithm and parameters in the hash string, with random salt', async () => {
    const a = await hashPassword(PW);
    const b = await hashPassword(PW);
    expect(a).toMatch(/^scrypt\$ln=14,r=8,p=5\$[A-Za-z0-9_-]{22}==\$[A-Za-z0-9_-]{43}=$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain(PW);
    expect(parsePasswordHash(a)?.params).toEqual(CURRENT_PASSWORD_PARAMS);
  });

  it('verifies the right password and refuses others', async () => {
    const stored = await hashPassword(PW);
    expect(await verifyPassword(PW, stored)).toBe(true);
    expect(await verifyPassword(`${PW} `, stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
    expect(await verifyPassword('Correct horse battery staple', stored)).toBe(false);
  });

  it('treats canonically equivalent Unicode the same (NFC)', async () => {
    const stored = await hashPassword('caf\u00e9-long-password');
    expect(await verifyPassword('cafe\u0301-long-password', stored)).toBe(true);
  });

  it('a tampered hash or salt never matches', async () => {
    const stored = await hashPassword(PW);
    const parts = stored.split('$');
    const flip = (s: string) => (s[0] === 'A' ? 'B' : 'A') + s.slice(1);
    expect(await verifyPassword(PW, [parts[0], parts[1], flip(parts[2]!), parts[3]].join('$'))).toBe(false);
    expect(await verifyPassword(PW, [parts[0], parts[1], parts[2], flip(parts[3]!)].join('$'))).toBe(false);
  });

  it('malformed hashes never match and never throw', async () => {
    for (const bad of ['', 'test-only-no-password', 'scrypt$ln=14,r=8$AAAA$AAAA', 'scrypt$ln=14,r=8,p=5$!!$??', 'md5$x$y$z', 'scrypt$ln=14,r=8,p=5,p=5$a$b']) {
      expect(await verifyPassword(PW, bad)).toBe(false);
    }
  });

  it('the decoy hash matches nothing but has the current parameters', async () => {
    expect(await verifyPassword('', decoyPasswordHash())).toBe(false);
    expect(await verifyPassword(PW, decoyPasswordHash())).toBe(false);
    expect(parsePasswordHash(decoyPasswordHash())?.params).toEqual(CURRENT_PASSWORD_PARAMS);
  });
});

describe('upgrading parameters', () => {
  it('old parameters still verify and are flagged for rehash; current ones are not', async () => {
    const old = await hashPassword(PW, { alg: 'scrypt', ln: 12, r: 8, p: 1 });
    expect(old.startsWith('scrypt$ln=12,r=8,p=1$')).toBe(true);
    expect(await verifyPassword(PW, old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash(await hashPassword(PW))).toBe(false);
    // Raising the target later flags today's hashes.
    expect(needsRehash(await hashPassword(PW), { alg: 'scrypt', ln: 15, r: 8, p: 3 })).toBe(true);
  });

  it('PBKDF2-SHA256 hashes verify (Web Crypto) and are flagged for rehash to scrypt', async () => {
    const p = await hashPassword(PW, { alg: 'pbkdf2-sha256', i: 100_000 });
    expect(p.startsWith('pbkdf2-sha256$i=100000$')).toBe(true);
    expect(await verifyPassword(PW, p)).toBe(true);
    expect(await verifyPassword('wrong password here', p)).toBe(false);
    expect(needsRehash(p)).toBe(true);
  });

  it('a PBKDF2 vector computed independently with Web Crypto verifies', async () => {
    const salt = new Uint8Array(16).fill(7);
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(PW), 'PBKDF2', false, ['deriveBits']);
    const bits = new Uint8Array(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 1000 }, key, 256));
    const encoded = `pbkdf2-sha256$i=1000$${base64urlEncode(salt)}$${base64urlEncode(bits)}`;
    expect(await verifyPassword(PW, encoded)).toBe(true);
  });
});

describe('limits that keep hashing inside a production Worker', () => {
  it(`refuses to hash with PBKDF2 above ${PBKDF2_MAX_ITERATIONS} iterations (local workerd would allow it; production throws)`, async () => {
    await expect(hashPassword(PW, { alg: 'pbkdf2-sha256', i: PBKDF2_MAX_ITERATIONS + 1 })).rejects.toThrow(RangeError);
    await expect(hashPassword(PW, { alg: 'pbkdf2-sha256', i: 600_000 })).rejects.toThrow(/100000/);
  });

  it('never verifies a stored PBKDF2 hash above the cap, even with the right password', async () => {
    // Build a genuine 100,001-iteration hash with raw Web Crypto (local workerd
    // permits it), to prove the refusal is the vault's own cap, not a mismatch.
    const salt = new Uint8Array(16).fill(1);
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(PW), 'PBKDF2', false, ['deriveBits']);
    const bits = new Uint8Array(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: 100_001 }, key, 256));
    const over = `pbkdf2-sha256$i=100001$${base64urlEncode(salt)}$${base64urlEncode(bits)}`;
    expect(parsePasswordHash(over)).toBeNull();
    expect(await verifyPassword(PW, over)).toBe(false);
    const atCap = await hashPassword(PW, { alg: 'pbkdf2-sha256', i: PBKDF2_MAX_ITERATIONS });
    expect(await verifyPassword(PW, atCap)).toBe(true);
  });

  it('refuses scrypt parameters that need more memory than a Worker can spare (128 MB isolate)', async () => {
    await expect(hashPassword(PW, { alg: 'scrypt', ln: 17, r: 8, p: 1 })).rejects.toThrow(/memory/);
    const fake = `scrypt$ln=20,r=8,p=1$${base64urlEncode(new Uint8Array(16))}$${base64urlEncode(new Uint8Array(32))}`;
    expect(parsePasswordHash(fake)).toBeNull();
    expect(await verifyPassword(PW, fake)).toBe(false);
  });

  it('the current parameters stay inside the limits (16 MiB of scrypt memory)', () => {
    const { ln, r } = CURRENT_PASSWORD_PARAMS;
    expect(128 * 2 ** ln * r).toBe(16 * 1024 * 1024);
  });
});
