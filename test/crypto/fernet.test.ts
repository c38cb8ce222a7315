// Fernet and MultiFernet behaviour inside workerd: keys, round-trips at every
// length, the TTL / clock-skew rules, extractTimestamp and key rotation.
import { describe, expect, it } from 'vitest';
import { Fernet, InvalidToken, MultiFernet } from '../../src/crypto/fernet.ts';
import { base64urlEncode, hexEncode } from '../../src/crypto/encoding.ts';
import { b64, forgeSigned, outcome, prng, rawCbc, textOf, concat } from './support.ts';

const KEY_1 = 'w05RkQSU1mQMnwedhw6CjFivN7WcwEEBSNL2vtxWdoQ=';
const KEY_2 = 'hrbIRs839cf0fiasG7UuwspvKj3QzB8CFMIQYXCiIPI=';
const KEY_3 = Fernet.generateKey();
const T = 1_700_000_000;

describe('Fernet.generateKey', () => {
  it('is 44 url-safe base64 characters of 32 bytes, like Fernet.generate_key()', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const k = Fernet.generateKey();
      expect(k).toMatch(/^[A-Za-z0-9_-]{43}=$/);
      expect(b64(k)).toHaveLength(32);
      keys.add(k);
    }
    expect(keys.size).toBe(50);
  });
});

describe('Fernet.fromKey', () => {
  const malformed: [string, unknown][] = [
    ['empty', ''],
    ['43 characters (unpadded)', KEY_1.slice(0, 43)],
    ['45 characters', `${KEY_1}A`],
    ['standard base64 alphabet (+ and /)', `+/${KEY_1.slice(2)}`],
    ['trailing newline', `${KEY_1}\n`],
    ['leading space', ` ${KEY_1.slice(1)}`],
    ['24 bytes (a 32-char key)', base64urlEncode(new Uint8Array(24).fill(1))],
    ['31 bytes', base64urlEncode(new Uint8Array(31).fill(1))],
    ['33 bytes', base64urlEncode(new Uint8Array(33).fill(1))],
    ['64 hex characters (a JWT secret, not a Fernet key)', 'a'.repeat(64)],
    ['non-canonical trailing bits', `${KEY_1.slice(0, 42)}R=`],
    ['non-ASCII', `${KEY_1.slice(0, 40)}é===`],
    ['undefined', undefined],
    ['a number', 42],
    ['bytes instead of text', new Uint8Array(32)],
  ];
  for (const [what, key] of malformed) {
    it(`rejects ${what} with a clear Error that is not InvalidToken and does not echo the key`, async () => {
      const err = await outcome(() => Fernet.fromKey(key as string));
      expect(err).toBeInstanceOf(Error);
      expect(err).not.toBeInstanceOf(InvalidToken);
      const message = (err as Error).message;
      expect(message).toMatch(/Fernet key/);
      expect(message).toMatch(/32 random bytes/);
      if (typeof key === 'string' && key.length > 8) expect(message).not.toContain(key.slice(4, 20));
    });
  }

  it('accepts a pyca-generated key and derives a 16-hex key id that is not part of the key', async () => {
    const f = await Fernet.fromKey(KEY_1);
    expect(f.keyId).toMatch(/^[0-9a-f]{16}$/);
    expect(hexEncode(b64(KEY_1))).not.toContain(f.keyId);
    expect(KEY_1).not.toContain(f.keyId);
  });

  it('key id = first 8 bytes of SHA-256 of the raw key, stable and distinct per key', async () => {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', b64(KEY_1) as Uint8Array<ArrayBuffer>));
    expect((await Fernet.fromKey(KEY_1)).keyId).toBe(hexEncode(digest.subarray(0, 8)));
    expect((await Fernet.fromKey(KEY_1)).keyId).toBe((await Fernet.fromKey(KEY_1)).keyId);
    expect((await Fernet.fromKey(KEY_1)).keyId).not.toBe((await Fernet.fromKey(KEY_2)).keyId);
  });

  it('does not expose the key through enumeration or JSON', async () => {
    const f = await Fernet.fromKey(KEY_1);
    const seen = JSON.stringify(f) + Object.keys(f).join() + String(f);
    expect(seen).not.toContain(KEY_1.slice(0, 20));
    expect(seen).not.toContain(hexEncode(b64(KEY_1)).slice(0, 16));
  });
});

describe('round trips', () => {
  it('every length 0..4096 encrypts, has the right size, and decrypts back exactly', async () => {
    const f = await Fernet.fromKey(KEY_1);
    const rnd = prng(4096);
    const source = rnd.bytes(4096);
    const failures: number[] = [];
    for (let n = 0; n <= 4096; n++) {
      const plain = source.subarray(0, n);
      const token = await f.encryptAtTime(plain, T);
      const bytes = b64(token);
      const ciphertext = 16 * (Math.floor(n / 16) + 1); // PKCS7 always adds 1..16 bytes
      const back = await f.decrypt(token);
      if (bytes.length !== 1 + 8 + 16 + ciphertext + 32 || hexEncode(back) !== hexEncode(plain)) failures.push(n);
    }
    expect(failures).toEqual([]);
  });

  it('strings are UTF-8 encoded (same token as their bytes under the same iv)', async () => {
    const f = await Fernet.fromKey(KEY_1);
    const iv = new Uint8Array(16).fill(3);
    const text = 'Grüße 🔐 世界';
    expect(await f.encryptAtTime(text, T, iv)).toBe(await f.encryptAtTime(new TextEncoder().encode(text), T, iv));
    expect(textOf(await f.decrypt(await f.encrypt(text)))).toBe(text);
  });

  it('a subarray view encrypts only its own bytes', async () => {
    const f = await Fernet.fromKey(KEY_1);
    const big = new TextEncoder().encode('xxxxSECRETyyyy');
    expect(textOf(await f.decrypt(await f.encrypt(big.subarray(4, 10))))).toBe('SECRET');
  });

  it('uses a fresh random IV: the same plaintext never gives the same token', async () => {
    const f = await Fernet.fromKey(KEY_1);
    const tokens = new Set<string>();
    for (let i = 0; i < 200; i++) tokens.add(await f.encryptAtTime('same', T));
    expect(tokens.size).toBe(200);
  });

  it('encrypt stamps the current time', async () => {
    const f = await Fernet.fromKey(KEY_1);
    const before = Math.floor(Date.now() / 1000);
    const ts = await f.extractTimestamp(await f.encrypt('x'));
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });

  it('encryptAtTime writes the timestamp as a 64-bit big-endian integer', async () => {
    const f = await Fernet.fromKey(KEY_1);
    for (const ts of [0, 1, 255, 256, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 5, Number.MAX_SAFE_INTEGER]) {
      const bytes = b64(await f.encryptAtTime('t', ts));
      const view = new DataView(bytes.buffer, bytes.byteOffset);
      expect(view.getBigUint64(1)).toBe(BigInt(ts));
      expect(await f.extractTimestamp(base64urlEncode(bytes))).toBe(ts);
    }
  });

  it('encryptAtTime refuses a bad timestamp or IV (a programming error, not InvalidToken)', async () => {
    const f = await Fernet.fromKey(KEY_1);
    for (const ts of [-1, 1.5, NaN, Infinity, 2 ** 53]) {
      await expect(f.encryptAtTime('x', ts)).rejects.toThrow(RangeError);
    }
    await expect(f.encryptAtTime('x', T, new Uint8Array(15))).rejects.toThrow(RangeError);
    await expect(f.encryptAtTime('x', T, new Uint8Array(17))).rejects.toThrow(RangeError);
    await expect(f.encrypt(123 as unknown as string)).rejects.toThrow(TypeError);
  });

  it('a token from another key is InvalidToken', async () => {
    const a = await Fernet.fromKey(KEY_1);
    const b = await Fernet.fromKey(KEY_2);
    const token = await a.encrypt('secret');
    expect(await outcome(() => b.decrypt(token))).toBeInstanceOf(InvalidToken);
    expect(await outcome(() => b.extractTimestamp(token))).toBeInstanceOf(InvalidToken);
  });
});

describe('ttl and now', () => {
  it('accepts a token exactly ttl seconds old and rejects it one second later', async () => {
    const f = await Fernet.fromKey(KEY_1);
    const token = await f.encryptAtTime('x', T);
    await expect(f.decrypt(token, { ttl: 60, now: T + 60 })).resolves.toBeInstanceOf(Uint8Array);
    expect(await outcome(() => f.decrypt(token, { ttl: 60, now: T + 61 }))).toBeInstanceOf(InvalidToken);
    await expect(f.decrypt(token, { ttl: 0, now: T })).resolves.toBeInstanceOf(Uint8Array);
    expect(await outcome(() => f.decrypt(token, { ttl: 0, now: T + 1 }))).toBeInstanceOf(InvalidToken);
  });

  it('with a ttl, accepts up to 60 s of future clock skew and rejects 61 s', async () => {
    const f = await Fernet.fromKey(KEY_1);
    const token = await f.encryptAtTime('x', T);
    await expect(f.decrypt(token, { ttl: 10, now: T - 60 })).resolves.toBeInstanceOf(Uint8Array);
    expect(await outcome(() => f.decrypt(token, { ttl: 10, now: T - 61 }))).toBeInstanceOf(InvalidToken);
    expect(await outcome(() => f.decrypt(token, { ttl: 1e9, now: T - 61 }))).toBeInstanceOf(InvalidToken);
  });

  it('without a ttl there is no age or future check (as in pyca), even if now is given', async () => {
    const f = await Fernet.fromKey(KEY_1);
    const old = await f.encryptAtTime('x', 0);
    const future = await f.encryptAtTime('x', Math.floor(Date.now() / 1000) + 86_400);
    await expect(f.decrypt(old)).resolves.toBeInstanceOf(Uint8Array);
    await expect(f.decrypt(future)).resolves.toBeInstanceOf(Uint8Array);
    await expect(f.decrypt(future, { now: 0 })).resolves.toBeInstanceOf(Uint8Array);
  });

  it('ttl without now uses the clock', async () => {
    const f = await Fernet.fromKey(KEY_1);
    const nowS = Math.floor(Date.now() / 1000);
    await expect(f.decrypt(await f.encrypt('x'), { ttl: 30 })).resolves.toBeInstanceOf(Uint8Array);
    expect(await outcome(async () => f.decrypt(await f.encryptAtTime('x', nowS - 3600), { ttl: 60 }))).toBeInstanceOf(InvalidToken);
    expect(await outcome(async () => f.decrypt(await f.encryptAtTime('x', nowS + 3600), { ttl: 60 }))).toBeInstanceOf(InvalidToken);
  });

  it('MultiFernet applies the same rules', async () => {
    const f = await Fernet.fromKey(KEY_1);
    const ring = new MultiFernet([await Fernet.fromKey(KEY_2), f]);
    const token = await f.encryptAtTime('x', T);
    await expect(ring.decrypt(token, { ttl: 60, now: T + 60 })).resolves.toBeInstanceOf(Uint8Array);
    expect(await outcome(() => ring.decrypt(token, { ttl: 60, now: T + 61 }))).toBeInstanceOf(InvalidToken);
    expect(await outcome(() => ring.decrypt(token, { ttl: 60, now: T - 61 }))).toBeInstanceOf(InvalidToken);
  });
});

describe('extractTimestamp', () => {
  it('returns the creation time of an authentic token', async () => {
    const f = await Fernet.fromKey(KEY_1);
    expect(await f.extractTimestamp(await f.encryptAtTime('x', 499162800))).toBe(499162800);
  });

  it('authenticates first: a token with a rewritten timestamp is InvalidToken', async () => {
    const f = await Fernet.fromKey(KEY_1);
    const bytes = b64(await f.encryptAtTime('x', T));
    bytes[8]! ^= 1;
    expect(await outcome(() => f.extractTimestamp(base64urlEncode(bytes)))).toBeInstanceOf(InvalidToken);
  });

  it('returns the time of a token whose MAC is valid but whose padding is not (as pyca)', async () => {
    const iv = new Uint8Array(16).fill(9);
    const token = forgeSigned(KEY_1, rawCbc(KEY_1, new Uint8Array(16), iv), { timestamp: 1234, iv });
    const f = await Fernet.fromKey(KEY_1);
    expect(await f.extractTimestamp(token)).toBe(1234);
    expect(await outcome(() => f.decrypt(token))).toBeInstanceOf(InvalidToken);
  });
});

describe('MAC-valid tokens that must still fail', () => {
  const iv = new Uint8Array(16).fill(5);
  const cases: [string, Uint8Array][] = [
    ['padding byte 0', concat(new Uint8Array(15).fill(65), Uint8Array.of(0))],
    ['padding byte 17', concat(new Uint8Array(15).fill(65), Uint8Array.of(17))],
    ['padding 3 with a wrong filler byte', concat(new Uint8Array(13).fill(65), Uint8Array.of(3, 2, 3))],
    ['padding 255', concat(new Uint8Array(31).fill(1), Uint8Array.of(255))],
  ];
  for (const [what, padded] of cases) {
    it(`${what} → InvalidToken from decrypt and rotate`, async () => {
      const token = forgeSigned(KEY_1, rawCbc(KEY_1, padded, iv), { iv });
      const f = await Fernet.fromKey(KEY_1);
      expect(await outcome(() => f.decrypt(token))).toBeInstanceOf(InvalidToken);
      expect(await outcome(() => new MultiFernet([f]).decrypt(token))).toBeInstanceOf(InvalidToken);
      expect(await outcome(() => new MultiFernet([f]).rotate(token))).toBeInstanceOf(InvalidToken);
    });
  }

  it('no ciphertext at all, or a partial block → InvalidToken', async () => {
    const f = await Fernet.fromKey(KEY_1);
    for (const body of [new Uint8Array(0), new Uint8Array(8), new Uint8Array(17)]) {
      const token = forgeSigned(KEY_1, body);
      expect(await outcome(() => f.decrypt(token))).toBeInstanceOf(InvalidToken);
      expect(await outcome(() => f.extractTimestamp(token))).toBeInstanceOf(InvalidToken);
    }
  });

  it('the forger itself is sound: a correctly padded forged token opens', async () => {
    const padded = concat(new TextEncoder().encode('forged-ok'), new Uint8Array(7).fill(7));
    const token = forgeSigned(KEY_1, rawCbc(KEY_1, padded, iv), { iv });
    expect(textOf(await (await Fernet.fromKey(KEY_1)).decrypt(token))).toBe('forged-ok');
  });
});

describe('MultiFernet', () => {
  it('requires at least one Fernet', () => {
    expect(() => new MultiFernet([])).toThrow(/at least one/);
  });

  it('encrypts with the first key and decrypts with any', async () => {
    const [a, b, c] = await Promise.all([KEY_1, KEY_2, KEY_3].map((k) => Fernet.fromKey(k)));
    const ring = new MultiFernet([a!, b!]);
    const token = await ring.encrypt('payload');
    expect(textOf(await a!.decrypt(token))).toBe('payload');
    expect(await outcome(() => b!.decrypt(token))).toBeInstanceOf(InvalidToken);
    expect(textOf(await ring.decrypt(await b!.encrypt('old')))).toBe('old');
    expect(await outcome(async () => ring.decrypt(await c!.encrypt('stranger')))).toBeInstanceOf(InvalidToken);
  });

  it('is not affected by later changes to the array it was given', async () => {
    const list = [await Fernet.fromKey(KEY_1)];
    const ring = new MultiFernet(list);
    list.push(await Fernet.fromKey(KEY_2));
    expect(await outcome(async () => ring.decrypt(await list[1]!.encrypt('x')))).toBeInstanceOf(InvalidToken);
  });

  it('rotate re-encrypts under the first key and keeps the timestamp', async () => {
    const [neu, old] = await Promise.all([KEY_3, KEY_1].map((k) => Fernet.fromKey(k)));
    const original = await old!.encryptAtTime('{"api_key":"k"}', 1_600_000_000);
    const rotated = await new MultiFernet([neu!, old!]).rotate(original);
    expect(rotated).not.toBe(original);
    expect(textOf(await neu!.decrypt(rotated))).toBe('{"api_key":"k"}');
    expect(await neu!.extractTimestamp(rotated)).toBe(1_600_000_000);
    // Only a ring that holds the new key opens the rotated token.
    expect(await outcome(() => old!.decrypt(rotated))).toBeInstanceOf(InvalidToken);
    expect(await outcome(() => new MultiFernet([old!]).decrypt(rotated))).toBeInstanceOf(InvalidToken);
    expect(textOf(await new MultiFernet([old!, neu!]).decrypt(rotated))).toBe('{"api_key":"k"}');
    // The kept timestamp still governs the TTL.
    expect(await outcome(() => neu!.decrypt(rotated, { ttl: 60, now: 1_600_000_061 }))).toBeInstanceOf(InvalidToken);
  });

  it('rotate of a token already under the first key still works and keeps its time', async () => {
    const neu = await Fernet.fromKey(KEY_3);
    const token = await neu.encryptAtTime('x', 42);
    const rotated = await new MultiFernet([neu]).rotate(token);
    expect(await neu.extractTimestamp(rotated)).toBe(42);
  });

  it('rotate keeps all 64 timestamp bits, even beyond 2^53', async () => {
    const [neu, old] = await Promise.all([KEY_3, KEY_1].map((k) => Fernet.fromKey(k)));
    const iv = new Uint8Array(16);
    const token = forgeSigned(KEY_1, rawCbc(KEY_1, new Uint8Array(16).fill(16), iv), { iv, timestamp: 2n ** 64n - 1n });
    expect(await old!.decrypt(token)).toEqual(new Uint8Array(0));

    const rotated = b64(await new MultiFernet([neu!, old!]).rotate(token));
    expect(hexEncode(rotated.subarray(1, 9))).toBe('ffffffffffffffff');
    expect(await neu!.decrypt(base64urlEncode(rotated))).toEqual(new Uint8Array(0));
  });

  it('rotate of a token under no key in the ring is InvalidToken', async () => {
    const [neu, old, stranger] = await Promise.all([KEY_3, KEY_1, KEY_2].map((k) => Fernet.fromKey(k)));
    const token = await stranger!.encrypt('x');
    expect(await outcome(() => new MultiFernet([neu!, old!]).rotate(token))).toBeInstanceOf(InvalidToken);
    // A ring without the old key cannot rotate the old key's tokens.
    expect(await outcome(async () => new MultiFernet([neu!]).rotate(await old!.encrypt('x')))).toBeInstanceOf(InvalidToken);
  });
});
