// Strict base64url (what makes invalid-strict-base64.json fail), hex, UTF-8
// and constant-time comparison, checked against the platform's own atob/btoa.
import { describe, expect, it } from 'vitest';
import {
  base64urlDecode,
  base64urlDecodePortable,
  base64urlEncode,
  base64urlEncodePortable,
  hexDecode,
  hexEncode,
  timingSafeEqual,
  utf8,
} from '../../src/crypto/encoding.ts';
import { prng } from './support.ts';

function reference(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_');
}

const REJECTED: [string, string][] = [
  ['length not a multiple of 4', 'AAAAA'],
  ['missing padding', 'AAAAAA'],
  ['standard alphabet +', 'AA+A'],
  ['standard alphabet /', 'AA/A'],
  ['padding in the middle', 'AA==AAAA'],
  ['padding not at the end', 'A=AA'],
  ['three padding characters', 'A==='],
  ['only padding', '===='],
  ['whitespace', 'AA AA'],
  ['newline', 'AAAA\n'],
  ['non-canonical bits before ==', 'AB=='],
  ['non-canonical bits before =', 'AAB='],
  ['percent signs', '%%%%'],
  ['non-ASCII', 'AAé='],
  ['a char whose low byte is in the alphabet', `AA${String.fromCharCode(0x100 + 65)}A`],
  ['NUL', 'AA\0A'],
  ['four spaces inside (native fromBase64 skips whitespace)', 'AAAA    AAAA'],
  ['whitespace hidden in a padded chunk', 'AA  AA==AAAA'],
  ['four trailing spaces', 'AAAA    '],
  ['a padded chunk then four spaces', 'AAA=    '],
  ['tab and newline making up a chunk', 'AAAA\t\nAAAA\r AA'],
];

const IMPLEMENTATIONS = [
  { name: 'default (native in workerd)', encode: base64urlEncode, decode: base64urlDecode },
  { name: 'portable JS (Node)', encode: base64urlEncodePortable, decode: base64urlDecodePortable },
];

it('workerd has the native Uint8Array base64 methods, so the default path is the native one', () => {
  expect(typeof (Uint8Array as unknown as { fromBase64?: unknown }).fromBase64).toBe('function');
  expect(base64urlDecode).not.toBe(base64urlDecodePortable);
});

for (const impl of IMPLEMENTATIONS) {
  describe(`base64url, ${impl.name}`, () => {
    it('encodes like btoa with the url-safe alphabet, for every length 0..300', () => {
      const rnd = prng(64);
      for (let n = 0; n <= 300; n++) {
        const bytes = rnd.bytes(n);
        const text = impl.encode(bytes);
        expect(text).toBe(reference(bytes));
        expect(impl.decode(text)).toEqual(bytes);
      }
    });

    it('encodes a subarray view, not its whole buffer', () => {
      const bytes = Uint8Array.of(1, 2, 3, 4, 5, 6);
      expect(impl.encode(bytes.subarray(1, 4))).toBe(reference(Uint8Array.of(2, 3, 4)));
    });

    for (const [what, text] of REJECTED) {
      it(`rejects ${what}`, () => expect(impl.decode(text)).toBeNull());
    }

    it('decodes the empty string to no bytes', () => expect(impl.decode('')).toEqual(new Uint8Array(0)));
  });
}

it('atob would have accepted some of those: strictness is ours, on purpose', () => {
  expect(() => atob('AB==')).not.toThrow();
  expect(() => atob('AAAA AAAA')).not.toThrow();
  expect(base64urlDecode('AAAA AAAA')).toBeNull();
  expect(base64urlDecode('AB==')).toBeNull();
});

describe('hex, utf8, timingSafeEqual', () => {
  it('hex round-trips and rejects odd length or non-hex', () => {
    const bytes = Uint8Array.of(0, 1, 0xab, 0xff);
    expect(hexEncode(bytes)).toBe('0001abff');
    expect(hexDecode('0001ABff')).toEqual(bytes);
    expect(hexDecode('abc')).toBeNull();
    expect(hexDecode('zz')).toBeNull();
  });

  it('utf8 decoding is fatal on invalid bytes', () => {
    expect(utf8.decode(utf8.encode('Grüße 🔐'))).toBe('Grüße 🔐');
    expect(() => utf8.decode(Uint8Array.of(0xff, 0xfe))).toThrow();
  });

  it('timingSafeEqual compares content and length', () => {
    expect(timingSafeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(timingSafeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 3))).toBe(false);
    expect(timingSafeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3))).toBe(false);
  });
});
