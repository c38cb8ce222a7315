// The backup passphrase rule: long enough, and at least 2^50 guesses to
// zxcvbn-ts (docs/operations/secrets.md).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assessPassphrase, estimatePassphraseBits, MIN_PASSPHRASE_BITS, readPassphraseFile } from '../../../scripts/lib/passphrase.ts';

describe('assessPassphrase', () => {
  it.each(['correct horse battery staple', 'purple-elephant-42 sings', 'xK9#mQ2$vL7!pW4z', 'mýkonos sandal cliff', 'orbit tulip gravel mango'])(
    'accepts %j',
    (p) => {
      expect(assessPassphrase(p).problem).toBeNull();
      expect(assessPassphrase(p).bits).toBeGreaterThanOrEqual(MIN_PASSPHRASE_BITS);
    },
  );

  it.each([
    ['short', 'xK9#mQ2$vL7', /too short/],
    ['repeats', 'aaaaaaaaaaaaaaaa', /too weak/],
    ['a run', 'abcdefghijklmnop', /too weak/],
    ['a digit run', '123456789012', /too weak/],
    ['a keyboard row', 'qwertyuiopasdf', /too weak/],
    ['a common word plus digits', 'Password1234', /too weak/],
    ['a repeated word', 'hunter2hunter2', /too weak/],
    ['project words', 'vault-backup-2026', /too weak/],
    ['two words', 'correct horse', /too weak/],
    // What a hurried operator types: l33t, a season or a word plus a year and
    // punctuation. The former 25-word estimator let all three through.
    ['l33t with a year', 'P@ssw0rd2024!', /too weak/],
    ['a season and a year', 'Summer2024!!', /too weak/],
    ['the xkcd example', 'Tr0ub4dor&3xx', /too weak/],
    ['12 random characters (rated by length alone)', 'xK9#mQ2$vL7!', /too weak/],
    ['a name and a date', 'Jennifer1987!', /too weak/],
  ])('refuses %s', (_what, p, reason) => {
    const { problem } = assessPassphrase(p);
    expect(problem).toMatch(reason);
    expect(problem).not.toContain(p);
  });

  it('counts a repeat, a run, a common word and a project word as next to nothing', () => {
    const random = estimatePassphraseBits('qzmxwnrv');
    expect(estimatePassphraseBits('qzmxqzmx')).toBeLessThan(random);
    expect(estimatePassphraseBits('qzmxabcd')).toBeLessThan(random);
    expect(estimatePassphraseBits('qzmxpasswordqzmx')).toBeLessThan(estimatePassphraseBits('qzmxpxsgwjrdqzmx'));
    expect(estimatePassphraseBits('qzmxarenavaultqzmx')).toBeLessThan(estimatePassphraseBits('qzmxtpqhrbzlnwqzmx'));
  });
});

describe('readPassphraseFile', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'av-pass-'));

  it('reads the first line only, like gpg --passphrase-file', () => {
    const file = path.join(dir, 'p1');
    writeFileSync(file, 'first line here\r\nsecond\n');
    expect(readPassphraseFile(file)).toBe('first line here');
  });

  it('refuses an empty file and a missing one in one line without content', () => {
    const file = path.join(dir, 'p2');
    writeFileSync(file, '\n');
    expect(() => readPassphraseFile(file)).toThrow(/is empty/);
    expect(() => readPassphraseFile(path.join(dir, 'nope'))).toThrow(/cannot read .*ENOENT/);
  });
});
