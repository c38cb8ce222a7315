// Test helper: a throwaway GNUPGHOME with real gpg keys (no passphrase), as an
// operator's keyring with a hardware key's public half would be. Keys are
// ed25519 + cv25519 (fast to make); `fakedTime` makes a key in the past, so
// one with a one-day expiry is expired now.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './run-script.ts';

export interface GpgHome {
  home: string;
  /** Runs gpg in this home; throws with gpg's stderr on failure. */
  gpg(args: string[], input?: string): string;
  /** A new key: encrypt-capable unless `signOnly`; returns its fingerprint. */
  genKey(uid: string, opts?: { expire?: string; fakedTime?: string; signOnly?: boolean }): string;
  /** Revokes a key with the revocation certificate gpg made with it (openpgp-revocs.d). */
  revoke(fpr: string): void;
  /** Stops the gpg-agent this home started and deletes the home. */
  remove(): void;
}

export function gpgHome(): GpgHome {
  const home = tempDir('gnupg-home');
  const gpg = (args: string[], input?: string) => {
    const res = spawnSync('gpg', ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase', '', ...args], { encoding: 'utf8', input });
    if (res.status !== 0) throw new Error(`gpg ${args.join(' ')} failed: ${res.stderr}`);
    return res.stdout;
  };
  return {
    home,
    gpg,
    genKey(uid, opts = {}) {
      const time = opts.fakedTime ? ['--faked-system-time', opts.fakedTime] : [];
      const expire = opts.expire ?? 'never';
      gpg([...time, '--quick-gen-key', uid, 'ed25519', 'sign', expire]);
      const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(gpg(['--with-colons', '--list-keys', uid]))![1]!;
      if (!opts.signOnly) gpg([...time, '--quick-add-key', fpr, 'cv25519', 'encr', expire]);
      return fpr;
    },
    revoke(fpr) {
      // gpg writes the certificate with its armor line escaped by ':' so it is not imported by accident.
      const cert = readFileSync(path.join(home, 'openpgp-revocs.d', `${fpr}.rev`), 'utf8').replace(/^:-----BEGIN/m, '-----BEGIN');
      gpg(['--import'], cert);
    },
    remove() {
      spawnSync('gpgconf', ['--homedir', home, '--kill', 'all']);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
