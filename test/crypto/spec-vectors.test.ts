// Every vector of the Fernet spec (github.com/fernet/spec), copied from
// ../shared/fernet-spec into test/fixtures/fernet/spec so the suite does not
// depend on a path outside the repository.
import { describe, expect, it } from 'vitest';
import { Fernet, InvalidToken, MultiFernet } from '../../src/crypto/fernet.ts';
import generate from '../fixtures/fernet/spec/generate.json';
import verify from '../fixtures/fernet/spec/verify.json';
import invalid from '../fixtures/fernet/spec/invalid.json';
import invalidStrict from '../fixtures/fernet/spec/invalid-strict-base64.json';
import { outcome, textOf } from './support.ts';

const seconds = (iso: string): number => Date.parse(iso) / 1000;

describe('spec: generate.json', () => {
  it('has vectors', () => expect(generate.length).toBeGreaterThan(0));
  for (const v of generate) {
    it(`encryptAtTime reproduces ${v.token.slice(0, 24)}...`, async () => {
      const f = await Fernet.fromKey(v.secret);
      expect(await f.encryptAtTime(v.src, seconds(v.now), Uint8Array.from(v.iv))).toBe(v.token);
    });
  }
});

describe('spec: verify.json', () => {
  it('has vectors', () => expect(verify.length).toBeGreaterThan(0));
  for (const v of verify) {
    it(`decrypts ${v.token.slice(0, 24)}... with its ttl and time`, async () => {
      const f = await Fernet.fromKey(v.secret);
      const opts = { ttl: v.ttl_sec, now: seconds(v.now) };
      expect(textOf(await f.decrypt(v.token, opts))).toBe(v.src);
      expect(textOf(await new MultiFernet([f]).decrypt(v.token, opts))).toBe(v.src);
      expect(await f.extractTimestamp(v.token)).toBe(seconds('1985-10-26T01:20:00-07:00'));
    });
  }
});

const invalidVectors = [...invalid.map((v) => ({ ...v, file: 'invalid.json' })), ...invalidStrict.map((v) => ({ ...v, file: 'invalid-strict-base64.json' }))];

describe('spec: invalid.json and invalid-strict-base64.json', () => {
  it('has both files', () => {
    expect(invalid.length).toBeGreaterThan(0);
    expect(invalidStrict.length).toBeGreaterThan(invalid.length);
  });
  for (const v of invalidVectors) {
    it(`${v.file}: ${v.desc} → InvalidToken`, async () => {
      const f = await Fernet.fromKey(v.secret);
      const opts = { ttl: v.ttl_sec, now: seconds(v.now) };
      expect(await outcome(() => f.decrypt(v.token, opts))).toBeInstanceOf(InvalidToken);
      expect(await outcome(() => new MultiFernet([f]).decrypt(v.token, opts))).toBeInstanceOf(InvalidToken);
    });
  }

  // Vectors whose only fault is the clock must open without a TTL: this
  // proves the rejection above came from the TTL rule and not from a bug.
  for (const v of invalidVectors.filter((x) => /TTL|clock skew/.test(x.desc))) {
    it(`${v.file}: ${v.desc} opens when no ttl is given`, async () => {
      const f = await Fernet.fromKey(v.secret);
      await expect(f.decrypt(v.token)).resolves.toBeInstanceOf(Uint8Array);
    });
  }

  // Everything else is broken regardless of time: no ttl, rotate and
  // extractTimestamp must reject it too.
  for (const v of invalidVectors.filter((x) => !/TTL|clock skew/.test(x.desc))) {
    it(`${v.file}: ${v.desc} fails without ttl, in rotate and in extractTimestamp`, async () => {
      const f = await Fernet.fromKey(v.secret);
      expect(await outcome(() => f.decrypt(v.token))).toBeInstanceOf(InvalidToken);
      expect(await outcome(() => new MultiFernet([f]).rotate(v.token))).toBeInstanceOf(InvalidToken);
      if (/payload padding|causes padding/.test(v.desc)) {
        // A padding fault sits under a valid MAC: like pyca, extractTimestamp
        // (which only authenticates) still returns the time.
        expect(await f.extractTimestamp(v.token)).toBe(499162801);
      } else {
        // Includes "payload size not multiple of block size", whose MAC is
        // valid: pyca would return its time, we refuse a token that can
        // never decrypt (documented in fernet.ts).
        expect(await outcome(() => f.extractTimestamp(v.token))).toBeInstanceOf(InvalidToken);
      }
    });
  }
});
