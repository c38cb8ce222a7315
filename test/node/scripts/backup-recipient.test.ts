// backup-secrets --recipient: backups encrypted to OpenPGP public keys (a
// hardware key's), checked with the real gpg in a throwaway GNUPGHOME: two
// recipients, each able to open the file alone; expired and sign-only keys
// refused by name with nothing written; verify-backup --decrypt-with gpg
// answering CURRENT. The keys are canaries: never in any output.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret, keyIdOfSecret } from '../../../scripts/lib/master-secrets.ts';
import { gpgHome, type GpgHome } from './gpg-home.ts';
import { runScript, tempDir, type ScriptResult } from './run-script.ts';

const SECRET_KEY = generateSecret('SECRET_KEY');
const CREDENTIAL_KEY = generateSecret('CREDENTIAL_ENCRYPTION_KEY');

let h: GpgHome;
let bobOnly: GpgHome;
let alice: string;
let bob: string;
let expired: string;
let signOnly: string;
let revoked: string;
let bobFile: string;
let dir: string;
let devVars: string;
let secretId: string;
let credentialId: string;

function expectNoCanary(res: ScriptResult): void {
  for (const c of [SECRET_KEY, CREDENTIAL_KEY]) expect(res.stdout + res.stderr).not.toContain(c);
}

const backup = (args: string[]) => runScript('backup-secrets', ['--dev-vars', devVars, ...args], { env: { GNUPGHOME: h.home } });

/** The key ids gpg --list-packets shows a file encrypted to. */
function encryptedTo(home: GpgHome, file: string): string[] {
  return [...home.gpg(['--list-packets', file]).matchAll(/:pubkey enc packet: .*keyid ([0-9A-F]{16})/g)].map((m) => m[1]!).sort();
}

function encryptionSubkeyId(home: GpgHome, fpr: string): string {
  const lines = home.gpg(['--with-colons', '--list-keys', fpr]).split('\n');
  return lines.find((l) => l.startsWith('sub:') && l.split(':')[11]!.includes('e'))!.split(':')[4]!;
}

beforeAll(async () => {
  h = gpgHome();
  alice = h.genKey('Alice Operator <alice@example.org>');
  bob = h.genKey('Bob Operator <bob@example.org>');
  expired = h.genKey('Old Token <old@example.org>', { fakedTime: '20200101T000000', expire: '1d' });
  signOnly = h.genKey('Signing Only <sign@example.org>', { signOnly: true });
  revoked = h.genKey('Lost Token <lost@example.org>');
  h.revoke(revoked);
  dir = tempDir('recipient');
  bobFile = path.join(dir, 'bob.pub.asc');
  writeFileSync(bobFile, h.gpg(['--armor', '--export', bob]));
  // A second keyring holding only Bob's private key: he alone must open the backups.
  bobOnly = gpgHome();
  bobOnly.gpg(['--import'], h.gpg(['--armor', '--export-secret-keys', bob]));
  devVars = path.join(dir, '.dev.vars');
  writeFileSync(devVars, `SECRET_KEY=${SECRET_KEY}\nCREDENTIAL_ENCRYPTION_KEY=${CREDENTIAL_KEY}\n`);
  secretId = await keyIdOfSecret('SECRET_KEY', SECRET_KEY);
  credentialId = await keyIdOfSecret('CREDENTIAL_ENCRYPTION_KEY', CREDENTIAL_KEY);
});

afterAll(() => {
  h?.remove();
  bobOnly?.remove();
});

describe('backup-secrets --recipient (two recipients: a keyring fingerprint and a key file)', () => {
  let res: ScriptResult;
  let out: string;
  let out2: string;

  beforeAll(async () => {
    out = path.join(dir, 'usb-a');
    out2 = path.join(dir, 'usb-b');
    // No --passphrase-file and an empty stdin: a passphrase prompt would fail the run.
    res = await backup(['--secret-key-out', out, '--credential-key-out', out2, '--recipient', alice, '--recipient', bobFile]);
  });

  it('writes each secret as an armored .asc in its own place, named as the passphrase backups, asking no passphrase', () => {
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(readdirSync(out)).toEqual([`arena-vault-SECRET_KEY-${secretId}.asc`]);
    expect(readdirSync(out2)).toEqual([`arena-vault-CREDENTIAL_ENCRYPTION_KEY-${credentialId}.asc`]);
    expect(res.stdout).toContain(`Encrypting the .asc backups to: ${alice} (Alice Operator <alice@example.org>), ${bob} (Bob Operator <bob@example.org>)`);
    expect(res.stdout).toContain('--decrypt-with gpg');
    expectNoCanary(res);
  });

  it('each file is encrypted to both keys, with no passphrase packet', () => {
    const file = path.join(out2, readdirSync(out2)[0]!);
    expect(readFileSync(file, 'utf8')).toMatch(/^-----BEGIN PGP MESSAGE-----/);
    expect(encryptedTo(h, file)).toEqual([encryptionSubkeyId(h, alice), encryptionSubkeyId(h, bob)].sort());
    expect(h.gpg(['--list-packets', file])).not.toContain('symkey enc packet');
  });

  it('gpg --decrypt opens them with either private key alone, and gives the bare key', () => {
    expect(h.gpg(['--decrypt', path.join(out, readdirSync(out)[0]!)])).toBe(SECRET_KEY);
    expect(bobOnly.gpg(['--decrypt', path.join(out2, readdirSync(out2)[0]!)])).toBe(CREDENTIAL_KEY);
  });

  it('verify-backup --decrypt-with gpg hands it to gpg and answers CURRENT', async () => {
    const file = path.join(out2, readdirSync(out2)[0]!);
    const r = await runScript('verify-backup', [file, '--decrypt-with', 'gpg', `--dev-vars=${devVars}`], { env: { GNUPGHOME: bobOnly.home } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`CREDENTIAL_ENCRYPTION_KEY, key id ${credentialId}`);
    expect(r.stdout).toMatch(/CURRENT: this backup holds the CREDENTIAL_ENCRYPTION_KEY in use now/);
    expectNoCanary(r);
  });

  it('verify-backup without --decrypt-with says how to open it, asking nothing', async () => {
    const file = path.join(out, readdirSync(out)[0]!);
    const r = await runScript('verify-backup', [file, `--dev-vars=${devVars}`], { env: { GNUPGHOME: h.home } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/encrypted to OpenPGP public keys .*add --decrypt-with gpg/);
    expect(r.stdout).toBe('');
  });

  it("verify-backup --decrypt-with gpg fails with gpg's reason when no private key opens it", async () => {
    const empty = gpgHome();
    try {
      const r = await runScript('verify-backup', [path.join(out, readdirSync(out)[0]!), '--decrypt-with', 'gpg', `--dev-vars=${devVars}`], {
        env: { GNUPGHOME: empty.home },
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/verify-backup: gpg could not decrypt .*secret key/i);
      expectNoCanary(r);
    } finally {
      empty.remove();
    }
  });
});

describe('backup-secrets --recipient with --only and --out', () => {
  it('backs up one secret to one key', async () => {
    const out = path.join(dir, 'only');
    const r = await backup(['--only', 'credential-key', '--out', out, '--recipient', bob]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out)).toEqual([`arena-vault-CREDENTIAL_ENCRYPTION_KEY-${credentialId}.asc`]);
    expect(encryptedTo(h, path.join(out, readdirSync(out)[0]!))).toEqual([encryptionSubkeyId(h, bob)]);
  });
});

describe('a key that cannot encrypt is refused by name, and nothing is written', () => {
  it.each([
    ['an expired key', () => expired, /the key ([0-9A-F]{40}) \(Old Token <old@example\.org>\) cannot encrypt: it expired on 2020-01-02; nothing was written/],
    ['a revoked key', () => revoked, /the key ([0-9A-F]{40}) \(Lost Token <lost@example\.org>\) cannot encrypt: it is revoked; nothing was written/],
    ['a sign-only key', () => signOnly, /the key ([0-9A-F]{40}) \(Signing Only <sign@example\.org>\) cannot encrypt: it has no valid encryption subkey/],
  ])('%s', async (_what, key, message) => {
    const out = tempDir('refused');
    const target = path.join(out, 'a');
    const r = await backup(['--secret-key-out', target, '--credential-key-out', path.join(out, 'b'), '--recipient', alice, '--recipient', key()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain(key());
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(out)).toEqual([]);
    expectNoCanary(r);
  });

  it('a fingerprint not in the keyring', async () => {
    const out = tempDir('refused');
    const r = await backup(['--only', 'secret-key', '--out', path.join(out, 'a'), '--recipient', '0123456789ABCDEF0123456789ABCDEF01234567']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no such public key in your gpg keyring/);
    expect(readdirSync(out)).toEqual([]);
  });
});
