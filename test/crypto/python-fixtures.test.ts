// Interop with Python's cryptography.fernet through committed fixtures made
// by scripts/make-fernet-fixtures.py: we open what pyca wrote byte-exact, and
// encryptAtTime with the same key/time/IV writes exactly pyca's token.
// The live both-ways check is test/crypto/python-interop.node.test.ts.
import { describe, expect, it } from 'vitest';
import { Fernet, InvalidToken, MultiFernet } from '../../src/crypto/fernet.ts';
import { hexEncode } from '../../src/crypto/encoding.ts';
import tokens from '../fixtures/fernet/python-tokens.json';
import rotations from '../fixtures/fernet/python-rotate.json';
import { b64, outcome, textOf } from './support.ts';

describe('python-tokens.json (pyca _encrypt_from_parts)', () => {
  it('was made by pyca and covers the required payloads', () => {
    expect(tokens.generator).toBe('scripts/make-fernet-fixtures.py');
    const names = new Set(tokens.tokens.map((t) => t.name));
    for (const n of ['empty', 'unicode', 'binary-1500', 'json-credential-94', 'json-credential-large']) expect(names).toContain(n);
    const sizes = tokens.tokens.map((t) => b64(t.plaintext).length);
    expect(sizes).toContain(0);
    expect(Math.max(...sizes)).toBeGreaterThan(1000);
    expect(b64(tokens.tokens.find((t) => t.name === 'json-credential-94')!.plaintext)).toHaveLength(94);
  });

  for (const t of tokens.tokens) {
    it(`${t.name} @${t.timestamp} under ${t.key.slice(0, 6)}…: decrypts byte-exact and re-encrypts to the same token`, async () => {
      const f = await Fernet.fromKey(t.key);
      const plain = b64(t.plaintext);
      expect(hexEncode(await f.decrypt(t.token))).toBe(hexEncode(plain));
      expect(await f.extractTimestamp(t.token)).toBe(t.timestamp);
      expect(await f.encryptAtTime(plain, t.timestamp, b64(t.iv))).toBe(t.token);
    });
  }

  it('the unicode payload is the expected text', async () => {
    const t = tokens.tokens.find((x) => x.name === 'unicode')!;
    expect(textOf(await (await Fernet.fromKey(t.key)).decrypt(t.token))).toContain('🔐');
  });

  it('a token whose time is 2^64-1 opens, and rotation keeps its 8 time bytes', async () => {
    const big = tokens.big_timestamp;
    const f = await Fernet.fromKey(big.key);
    expect(hexEncode(await f.decrypt(big.token))).toBe(hexEncode(b64(big.plaintext)));
    const neu = await Fernet.fromKey(Fernet.generateKey());
    const rotated = await new MultiFernet([neu, f]).rotate(big.token);
    expect(hexEncode(b64(rotated).subarray(1, 9))).toBe(BigInt(big.timestamp).toString(16));
  });
});

describe('python-rotate.json (pyca MultiFernet.rotate)', () => {
  for (const r of rotations.rotations) {
    it(`${r.name}: pyca's rotated token opens under the new key with the original time`, async () => {
      const [neu, old] = await Promise.all([Fernet.fromKey(rotations.new_key), Fernet.fromKey(rotations.old_key)]);
      const plain = hexEncode(b64(r.plaintext));
      expect(hexEncode(await old.decrypt(r.original))).toBe(plain);
      expect(hexEncode(await neu.decrypt(r.rotated))).toBe(plain);
      expect(await neu.extractTimestamp(r.rotated)).toBe(r.timestamp);
      expect(await outcome(() => old.decrypt(r.rotated))).toBeInstanceOf(InvalidToken);
    });

    it(`${r.name}: our rotate of pyca's original does what pyca's did`, async () => {
      const [neu, old] = await Promise.all([Fernet.fromKey(rotations.new_key), Fernet.fromKey(rotations.old_key)]);
      const ours = await new MultiFernet([neu, old]).rotate(r.original);
      // Same key, same time, same plaintext: the bytes differ only in the
      // random IV (and so the ciphertext and MAC), exactly as pyca's would.
      expect(b64(ours).subarray(0, 9)).toEqual(b64(r.rotated).subarray(0, 9));
      expect(b64(ours).length).toBe(b64(r.rotated).length);
      expect(hexEncode(await neu.decrypt(ours))).toBe(hexEncode(b64(r.plaintext)));
      expect(await neu.extractTimestamp(ours)).toBe(r.timestamp);
    });
  }
});
