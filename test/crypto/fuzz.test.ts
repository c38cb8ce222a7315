// Property/fuzz test: every mutation of a valid token (bit flips anywhere,
// truncation, extension, random bytes, odd strings, huge input, non-strings)
// must make decrypt, MultiFernet.decrypt/rotate and extractTimestamp throw
// InvalidToken — never succeed, never throw anything else. Seeds are fixed,
// and every failure is reported with the seed and case that produced it.
import { describe, expect, it } from 'vitest';
import { Fernet, InvalidToken, MultiFernet } from '../../src/crypto/fernet.ts';
import { base64urlEncode } from '../../src/crypto/encoding.ts';
import { b64, outcome, prng } from './support.ts';

const KEY = 'w05RkQSU1mQMnwedhw6CjFivN7WcwEEBSNL2vtxWdoQ=';
const OTHER = 'hrbIRs839cf0fiasG7UuwspvKj3QzB8CFMIQYXCiIPI=';
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=';
const CREDENTIAL = '{"api_key":"AIzaSyB3xQ7lC2vN9mK4pR8tW1zY6uE5oI0aS3d","cx":"017643444788069204610:4gvhea_mvga"}';

interface Subject {
  fernet: Fernet;
  ring: MultiFernet;
}

async function subject(): Promise<Subject> {
  const fernet = await Fernet.fromKey(KEY);
  return { fernet, ring: new MultiFernet([await Fernet.fromKey(OTHER), fernet]) };
}

/** Every entry point must reject `token`; returns a description of each one that did not. */
async function rejections(s: Subject, token: unknown, label: string): Promise<string[]> {
  const t = token as string;
  const calls: [string, () => Promise<unknown>][] = [
    ['decrypt', () => s.fernet.decrypt(t)],
    ['decrypt+ttl', () => s.fernet.decrypt(t, { ttl: 1e12, now: 1_700_010_000 })],
    ['extractTimestamp', () => s.fernet.extractTimestamp(t)],
    ['MultiFernet.decrypt', () => s.ring.decrypt(t)],
    ['MultiFernet.rotate', () => s.ring.rotate(t)],
  ];
  const bad: string[] = [];
  for (const [name, call] of calls) {
    const result = await outcome(call);
    if (!(result instanceof InvalidToken)) {
      bad.push(`${label} ${name}: ${result === 'resolved' ? 'accepted' : String(result)}`);
    }
  }
  return bad;
}

async function validToken(s: Subject, seed: number): Promise<string> {
  const rnd = prng(seed);
  const plain = rnd.next() < 0.5 ? CREDENTIAL : rnd.bytes(rnd.int(80));
  return s.fernet.encryptAtTime(plain, 1_700_000_000 + rnd.int(1000));
}

describe('fuzz: mutated tokens are always InvalidToken', () => {
  it('flipping any single bit of the decoded token (every bit of 3 tokens)', async () => {
    const s = await subject();
    const bad: string[] = [];
    for (const seed of [1, 2, 3]) {
      const bytes = b64(await validToken(s, seed));
      for (let bit = 0; bit < bytes.length * 8; bit++) {
        const m = bytes.slice();
        m[bit >> 3]! ^= 1 << (bit & 7);
        bad.push(...(await rejections(s, base64urlEncode(m), `seed ${seed} bit ${bit}`)));
      }
    }
    expect(bad).toEqual([]);
  });

  it('random multi-bit flips anywhere (2,000 cases)', async () => {
    const s = await subject();
    const bad: string[] = [];
    for (let seed = 100; seed < 2100; seed++) {
      const rnd = prng(seed);
      const m = b64(await validToken(s, seed));
      const flips = 1 + rnd.int(8);
      for (let i = 0; i < flips; i++) m[rnd.int(m.length)]! ^= 1 + rnd.int(255);
      bad.push(...(await rejections(s, base64urlEncode(m), `seed ${seed}`)));
    }
    expect(bad).toEqual([]);
  });

  it('replacing any character of the token text with another one (1,000 cases)', async () => {
    const s = await subject();
    const bad: string[] = [];
    for (let seed = 3000; seed < 4000; seed++) {
      const rnd = prng(seed);
      const token = await validToken(s, seed);
      const at = rnd.int(token.length);
      let c = token[at]!;
      while (c === token[at]) c = rnd.next() < 0.8 ? ALPHABET[rnd.int(ALPHABET.length)]! : String.fromCharCode(rnd.int(0x3000));
      bad.push(...(await rejections(s, token.slice(0, at) + c + token.slice(at + 1), `seed ${seed} at ${at}`)));
    }
    expect(bad).toEqual([]);
  });

  it('truncating the token to every shorter length, as text and as bytes', async () => {
    const s = await subject();
    const token = await validToken(s, 7);
    const bytes = b64(token);
    const bad: string[] = [];
    for (let n = 0; n < token.length; n++) bad.push(...(await rejections(s, token.slice(0, n), `text[0:${n}]`)));
    for (let n = 0; n < bytes.length; n++) {
      bad.push(...(await rejections(s, base64urlEncode(bytes.subarray(0, n)), `bytes[0:${n}]`)));
    }
    expect(bad).toEqual([]);
  });

  it('extending the token: appended bytes, characters, padding, whitespace, a second token', async () => {
    const s = await subject();
    const token = await validToken(s, 8);
    const bytes = b64(token);
    const rnd = prng(8);
    const bad: string[] = [];
    for (let n = 1; n <= 48; n++) {
      const longer = new Uint8Array(bytes.length + n);
      longer.set(bytes);
      longer.set(rnd.bytes(n), bytes.length);
      bad.push(...(await rejections(s, base64urlEncode(longer), `+${n} bytes`)));
    }
    for (const tail of ['A', 'AAAA', '=', '==', '====', ' ', '\n', '\r\n', '\0', 'trailingdata', token]) {
      bad.push(...(await rejections(s, token + tail, `+${JSON.stringify(tail.slice(0, 8))}`)));
      bad.push(...(await rejections(s, tail + token, `${JSON.stringify(tail.slice(0, 8))}+`)));
    }
    expect(bad).toEqual([]);
  });

  it('random bytes with a valid version byte, and random text (1,000 cases)', async () => {
    const s = await subject();
    const bad: string[] = [];
    for (let seed = 5000; seed < 5500; seed++) {
      const rnd = prng(seed);
      const bytes = rnd.bytes(rnd.int(200));
      if (bytes.length > 0 && rnd.next() < 0.8) bytes[0] = 0x80;
      bad.push(...(await rejections(s, base64urlEncode(bytes), `bytes seed ${seed}`)));
      const len = rnd.int(200);
      let text = '';
      for (let i = 0; i < len; i++) text += ALPHABET[rnd.int(ALPHABET.length)];
      bad.push(...(await rejections(s, text, `text seed ${seed}`)));
    }
    expect(bad).toEqual([]);
  });

  it('a genuine token re-encoded with the standard alphabet, without padding, or with non-ASCII look-alikes', async () => {
    const s = await subject();
    const bad: string[] = [];
    for (let seed = 6000; seed < 6100; seed++) {
      const token = await validToken(s, seed);
      const variants: [string, string][] = [
        ['standard alphabet', token.replace(/-/g, '+').replace(/_/g, '/')],
        ['no padding', token.replace(/=+$/, '')],
        ['fullwidth A', token.replace('A', '\uFF21')],
        ['latin-1 char', `${token.slice(0, 10)}\u00e9${token.slice(11)}`],
        ['emoji', `${token.slice(0, 8)}🔐${token.slice(10)}`],
        ['lone surrogate', `${token.slice(0, 8)}\ud800${token.slice(9)}`],
      ];
      for (const [what, v] of variants) if (v !== token) bad.push(...(await rejections(s, v, `seed ${seed} ${what}`)));
    }
    expect(bad).toEqual([]);
  });

  it('the empty string, whitespace, and lone padding', async () => {
    const s = await subject();
    const bad: string[] = [];
    for (const t of ['', ' ', '=', '==', '====', '\n', 'gA==', 'gAAAAAA=']) {
      bad.push(...(await rejections(s, t, JSON.stringify(t))));
    }
    expect(bad).toEqual([]);
  });

  it('huge input: 5 MB of base64 text, a 5 MB valid-looking token, and a 5 MB string of junk', async () => {
    const s = await subject();
    const rnd = prng(9);
    const body = rnd.bytes(3_750_000);
    body[0] = 0x80;
    const bad: string[] = [];
    bad.push(...(await rejections(s, base64urlEncode(body), '5MB base64')));
    const genuine = await validToken(s, 9);
    bad.push(...(await rejections(s, genuine + 'A'.repeat(5_000_000), 'token + 5MB')));
    bad.push(...(await rejections(s, '%'.repeat(5_000_000), '5MB junk')));
    expect(bad).toEqual([]);
  });

  it('non-string input of every kind', async () => {
    const s = await subject();
    const token = await validToken(s, 10);
    const inputs: [string, unknown][] = [
      ['undefined', undefined],
      ['null', null],
      ['number', 42],
      ['bigint', 42n],
      ['boolean', true],
      ['symbol', Symbol('t')],
      ['object', {}],
      ['array', [token]],
      ['String object', new String(token)],
      ['bytes of the token text', new TextEncoder().encode(token)],
      ['decoded token bytes', b64(token)],
      ['function', () => token],
      ['object with toString', { toString: () => token }],
    ];
    const bad: string[] = [];
    for (const [what, input] of inputs) bad.push(...(await rejections(s, input, what)));
    expect(bad).toEqual([]);
  });

  it('the oracle works: the unmutated tokens are all accepted', async () => {
    // Guards the tests above against passing because everything fails.
    const s = await subject();
    for (const seed of [1, 2, 3, 7, 8, 9, 10, 100, 3000, 6000]) {
      const token = await validToken(s, seed);
      expect(await rejections(s, token, `seed ${seed}`)).toHaveLength(5);
      await expect(s.fernet.decrypt(token)).resolves.toBeInstanceOf(Uint8Array);
      await expect(s.ring.decrypt(token)).resolves.toBeInstanceOf(Uint8Array);
      await expect(s.ring.rotate(token)).resolves.toMatch(/^gAAAAA/);
      await expect(s.fernet.extractTimestamp(token)).resolves.toBeGreaterThan(0);
    }
  });
});
