/**
 * Backup passphrases: the strength rule backup-secrets enforces, and reading
 * one from `--passphrase-file` the way `gpg --passphrase-file` does (first
 * line only), so the same file opens the backup with gpg.
 *
 * The rule (documented in docs/operations/secrets.md):
 * - at least 12 characters, and
 * - an estimated strength of at least 60 bits, where each character is worth
 *   log2(size of the character pool the passphrase draws from), except that a
 *   character repeating the previous one, continuing a run (`abc`, `321`),
 *   or inside a 3-character sequence seen earlier (`hunter2hunter2`) is
 *   worth 1 bit, and a common word (`password`, `qwerty`, `vault`, ...) is
 *   worth 4 bits in all.
 * It is a deliberately simple estimate: it refuses the obvious, it does not
 * prove strength. Four or more random words pass easily.
 *
 * @example
 *   assessPassphrase('correct horse battery staple'); // { bits: 133, problem: null }
 */
import { readFileSync } from 'node:fs';
import { CliError } from './cli.ts';

export const MIN_PASSPHRASE_LENGTH = 12;
export const MIN_PASSPHRASE_BITS = 60;

// Lower-case; matched case-insensitively. Short on purpose: the list only
// has to catch what people type when asked for "a passphrase" in a hurry.
const COMMON_WORDS = [
  'password', 'passwort', 'passphrase', 'qwertyuiop', 'qwerty', 'azerty', 'asdfgh', 'zxcvbn', 'letmein', 'welcome',
  'iloveyou', 'admin', 'secret', 'arena', 'vault', 'backup', 'monkey', 'dragon', 'master', 'sunshine', 'football',
  'abc123', '123456', 'changeme', 'trustno1',
];

function poolSize(chars: string[]): number {
  let pool = 0;
  if (chars.some((c) => /[a-z]/.test(c))) pool += 26;
  if (chars.some((c) => /[A-Z]/.test(c))) pool += 26;
  if (chars.some((c) => /[0-9]/.test(c))) pool += 10;
  if (chars.some((c) => c === ' ')) pool += 1;
  if (chars.some((c) => /[!-/:-@[-`{-~]/.test(c))) pool += 32;
  if (chars.some((c) => c > '\u007f')) pool += 100;
  return Math.max(pool, 1);
}

/** Estimated bits of strength (see the header), rounded down. */
export function estimatePassphraseBits(passphrase: string): number {
  const chars = [...passphrase];
  const lower = chars.map((c) => c.toLowerCase());
  const perChar = Math.log2(poolSize(chars));
  const weight = chars.map(() => perChar);

  // Repeats and runs: a character predictable from the one before it.
  for (let i = 1; i < chars.length; i++) {
    const step = (lower[i]!.codePointAt(0) ?? 0) - (lower[i - 1]!.codePointAt(0) ?? 0);
    if (step === 0 || step === 1 || step === -1) weight[i] = 1;
  }
  // Repeated sequences: every character of a 3-gram that already occurred.
  const firstSeen = new Map<string, number>();
  for (let i = 0; i + 3 <= lower.length; i++) {
    const gram = lower.slice(i, i + 3).join('\u0000');
    const seen = firstSeen.get(gram);
    if (seen === undefined) firstSeen.set(gram, i);
    else if (seen < i) for (let k = i; k < i + 3; k++) weight[k] = Math.min(weight[k]!, 1);
  }
  // Common words: the whole word is worth 4 bits.
  for (const word of COMMON_WORDS) {
    for (let at = 0; at + word.length <= lower.length; at++) {
      if (lower.slice(at, at + word.length).join('') !== word) continue;
      for (let k = at; k < at + word.length; k++) weight[k] = 0;
      weight[at] = 4;
    }
  }
  return Math.floor(weight.reduce((a, b) => a + b, 0));
}

/** The strength verdict: `problem` is null when the passphrase is acceptable. Never echoes it. */
export function assessPassphrase(passphrase: string): { bits: number; problem: string | null } {
  const bits = estimatePassphraseBits(passphrase);
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) {
    return { bits, problem: `the passphrase is too short: use at least ${MIN_PASSPHRASE_LENGTH} characters (four or more random words work well)` };
  }
  if (bits < MIN_PASSPHRASE_BITS) {
    return {
      bits,
      problem: `the passphrase is too weak (estimated ${bits} bits, at least ${MIN_PASSPHRASE_BITS} needed): avoid repeats, runs and common words; four or more random words work well`,
    };
  }
  return { bits, problem: null };
}

/** The passphrase in FILE: its first line without the line ending, as gpg reads it. */
export function readPassphraseFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read the passphrase file ${file}: ${(e as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
  const first = text.split(/\r?\n/)[0] ?? '';
  if (!first) throw new CliError(`the passphrase file ${file} is empty (the passphrase is its first line)`);
  return first;
}
