/**
 * Backup passphrases: the strength rule backup-secrets enforces, and reading
 * one from `--passphrase-file` the way `gpg --passphrase-file` does (first
 * line only), so the same file opens the backup with gpg.
 *
 * The rule (documented in docs/operations/secrets.md):
 * - at least 12 characters, and
 * - at least 2^50 guesses (50 bits) as estimated by zxcvbn-ts
 *   (`@zxcvbn-ts/core` with `@zxcvbn-ts/language-common`: common passwords,
 *   names, keyboard patterns, l33t substitutions, dates, repeats and
 *   sequences), with this project's own words (arena, vault, backup, ...)
 *   counted as known.
 * Why 2^50: a backup printed as a QR code can be attacked offline for ever.
 * Each guess costs one iterated S2K (65 MB of SHA-256); 2^50 guesses is
 * beyond a large GPU farm running for years. `P@ssw0rd2024!`, `Summer2024!!`
 * and `Tr0ub4dor&3xx` are far below it; four or more random words, or 16 or
 * more random characters, pass. zxcvbn rates a string it recognises nothing
 * in by its length alone, so 12 random characters (about 10^12 guesses to
 * zxcvbn) are refused too.
 *
 * @example
 *   assessPassphrase('correct horse battery staple'); // { bits: 65, problem: null }
 */
import { readFileSync } from 'node:fs';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import { adjacencyGraphs, dictionary } from '@zxcvbn-ts/language-common';
import { CliError } from './cli.ts';

export const MIN_PASSPHRASE_LENGTH = 12;
export const MIN_PASSPHRASE_BITS = 50;

// Words anyone guessing a passphrase for this project's backups tries first.
const PROJECT_WORDS = ['arena', 'arenas', 'vault', 'arena-vault', 'arenavault', 'backup', 'secret', 'credential', 'cloudflare', 'wrangler'];

let estimator: ZxcvbnFactory | undefined;

/** Estimated bits of strength: log2 of zxcvbn's guess count, rounded down. */
export function estimatePassphraseBits(passphrase: string): number {
  estimator ??= new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs });
  const { guessesLog10 } = estimator.check(passphrase, PROJECT_WORDS);
  return Math.floor(guessesLog10 * Math.log2(10));
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
      problem: `the passphrase is too weak (estimated ${bits} bits, at least ${MIN_PASSPHRASE_BITS} needed): common passwords, names, dates, keyboard patterns, l33t spellings and repeats are guessed first; four or more random words work well`,
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
