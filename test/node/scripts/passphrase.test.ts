// The backup passphrase rule: long enough, and not predictable by the
// simple estimate documented in docs/operations/secrets.md.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assessPassphrase, estimatePassphraseBits, MIN_PASSPHRASE_BITS, readPassphraseFile } from '../../../scripts/lib/passphrase.ts';

describe('assessPassphrase', () => {
  it.each(['correct horse battery staple', 'purple-elephant-42 sings', 'Tr0ub4dor&3x', 'xK9#mQ2$vL7!', 'mýkonos sandal cliff'])(
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
  ])('refuses %s', (_what, p, reason) => {
    const { problem } = assessPassphrase(p);
    expect(problem).toMatch(reason);
    expect(problem).not.toContain(p);
  });

  it('counts a repeat, a run and a common word as next to nothing', () => {
    const random = estimatePassphraseBits('qzmxwnrv');
    expect(estimatePassphraseBits('qzmxqzmx')).toBeLessThan(random);
    expect(estimatePassphraseBits('qzmxabcd')).toBeLessThan(random);
    expect(estimatePassphraseBits('qzmxpasswordqzmx')).toBeLessThan(estimatePassphraseBits('qzmxpxsgwjrdqzmx'));
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
