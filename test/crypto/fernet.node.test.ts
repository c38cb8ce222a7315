// The same spec vectors and pyca fixtures on Node (24 here), where there is no
// native Uint8Array.fromBase64: this is the portable base64 path of
// encoding.ts (workerd takes the native one; test/crypto covers that).
import { describe, expect, it } from 'vitest';
import { Fernet, InvalidToken, MultiFernet } from '../../src/crypto/fernet.ts';
import { base64urlDecode, base64urlDecodePortable, base64urlEncode, base64urlEncodePortable, hexEncode } from '../../src/crypto/encoding.ts';
import generate from '../fixtures/fernet/spec/generate.json';
import verify from '../fixtures/fernet/spec/verify.json';
import invalid from '../fixtures/fernet/spec/invalid.json';
import invalidStrict from '../fixtures/fernet/spec/invalid-strict-base64.json';
import tokens from '../fixtures/fernet/python-tokens.json';

const seconds = (iso: string): number => Date.parse(iso) / 1000;
const hasNative = typeof (Uint8Array as unknown as { fromBase64?: unknown }).fromBase64 === 'function';

describe('Fernet on Node', () => {
  it('uses the base64 implementation that matches the runtime', () => {
    expect(base64urlDecode === base64urlDecodePortable).toBe(!hasNative);
    expect(base64urlEncode === base64urlEncodePortable).toBe(!hasNative);
  });

  it('reproduces generate.json and opens verify.json', async () => {
    for (const v of generate) {
      const f = await Fernet.fromKey(v.secret);
      expect(await f.encryptAtTime(v.src, seconds(v.now), Uint8Array.from(v.iv))).toBe(v.token);
    }
    for (const v of verify) {
      const f = await Fernet.fromKey(v.secret);
      expect(new TextDecoder().decode(await f.decrypt(v.token, { ttl: v.ttl_sec, now: seconds(v.now) }))).toBe(v.src);
    }
  });

  it('rejects every invalid and invalid-strict-base64 vector with InvalidToken', async () => {
    const outcomes: string[] = [];
    for (const v of [...invalid, ...invalidStrict]) {
      const f = await Fernet.fromKey(v.secret);
      const err = await f.decrypt(v.token, { ttl: v.ttl_sec, now: seconds(v.now) }).then(
        () => 'accepted',
        (e: unknown) => e,
      );
      if (!(err instanceof InvalidToken)) outcomes.push(`${v.desc}: ${String(err)}`);
    }
    expect(outcomes).toEqual([]);
  });

  it('opens and reproduces every pyca fixture token', async () => {
    for (const t of tokens.tokens) {
      const f = await Fernet.fromKey(t.key);
      const plain = base64urlDecode(t.plaintext)!;
      expect(hexEncode(await f.decrypt(t.token))).toBe(hexEncode(plain));
      expect(await f.encryptAtTime(plain, t.timestamp, base64urlDecode(t.iv)!)).toBe(t.token);
    }
  });

  it('round-trips and rotates', async () => {
    const [a, b] = await Promise.all([Fernet.fromKey(Fernet.generateKey()), Fernet.fromKey(Fernet.generateKey())]);
    for (const n of [0, 1, 15, 16, 17, 94, 1000, 4096]) {
      const p = crypto.getRandomValues(new Uint8Array(n));
      const token = await b.encryptAtTime(p, 1_600_000_000);
      const rotated = await new MultiFernet([a, b]).rotate(token);
      expect(hexEncode(await a.decrypt(rotated))).toBe(hexEncode(p));
      expect(await a.extractTimestamp(rotated)).toBe(1_600_000_000);
    }
  });
});
