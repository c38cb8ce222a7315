// backup-secrets to KeePass: a `.kdbx` destination becomes a new KDBX 4
// database (Argon2id) that KeePassXC's own CLI (`keepassxc-cli`, Debian's
// keepassxc package, installed by .ci/run) opens: the entry's title and
// password are read back, a wrong master passphrase fails. Never overwrites a
// file; both secrets never in one place; verify-backup reads it back. The keys
// are canaries: never in any output of ours.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSecret, keyIdOfSecret } from '../../../scripts/lib/master-secrets.ts';
import { runScript, tempDir, type ScriptResult } from './run-script.ts';

const PASSPHRASE = 'granite otter lantern 93 quietly';
const SECRET_KEY = generateSecret('SECRET_KEY');
const CREDENTIAL_KEY = generateSecret('CREDENTIAL_ENCRYPTION_KEY');

let dir: string;
let devVars: string;
let passFile: string;
let secretId: string;
let credentialId: string;

function expectNoCanary(res: ScriptResult): void {
  for (const c of [SECRET_KEY, CREDENTIAL_KEY]) expect(res.stdout + res.stderr).not.toContain(c);
}

/** keepassxc-cli reads the master password from stdin when it is not a terminal. */
function keepassxc(args: string[], password = PASSPHRASE): { code: number | null; stdout: string; stderr: string } {
  const res = spawnSync('keepassxc-cli', args, { input: `${password}\n`, encoding: 'utf8', env: { ...process.env, QT_QPA_PLATFORM: 'offscreen' } });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const backup = (args: string[]) => runScript('backup-secrets', ['--dev-vars', devVars, '--passphrase-file', passFile, ...args]);

beforeAll(async () => {
  dir = tempDir('kdbx');
  devVars = path.join(dir, '.dev.vars');
  writeFileSync(devVars, `SECRET_KEY=${SECRET_KEY}\nCREDENTIAL_ENCRYPTION_KEY=${CREDENTIAL_KEY}\n`);
  passFile = path.join(dir, 'passphrase');
  writeFileSync(passFile, `${PASSPHRASE}\n`);
  secretId = await keyIdOfSecret('SECRET_KEY', SECRET_KEY);
  credentialId = await keyIdOfSecret('CREDENTIAL_ENCRYPTION_KEY', CREDENTIAL_KEY);
});

describe('backup-secrets to two .kdbx files in two places', () => {
  let res: ScriptResult;
  let secretDb: string;
  let credDb: string;
  const credTitle = () => `arena-vault CREDENTIAL_ENCRYPTION_KEY ${credentialId}`;

  beforeAll(async () => {
    secretDb = path.join(dir, 'usb-a', 'arena-vault.kdbx');
    credDb = path.join(dir, 'usb-b', 'arena-vault.kdbx');
    res = await backup(['--secret-key-out', secretDb, '--credential-key-out', credDb]);
  });

  it('writes one KeePass file per secret (0600), and says which entry', () => {
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(readdirSync(path.dirname(secretDb))).toEqual(['arena-vault.kdbx']);
    expect(statSync(credDb).mode & 0o777).toBe(0o600);
    expect(res.stdout).toContain(`wrote ${credDb} (KeePass KDBX 4, entry "${credTitle()}")`);
    expectNoCanary(res);
  });

  it('is KDBX 4 with Argon2id, as keepassxc-cli db-info reports', () => {
    const bytes = readFileSync(credDb);
    expect(bytes.readUInt16LE(10)).toBe(4);
    const info = keepassxc(['db-info', credDb]);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toMatch(/KDF: Argon2id/);
  });

  it('keepassxc-cli show reads the entry title and password (the secret)', () => {
    const ls = keepassxc(['ls', credDb]);
    expect(ls.stdout.split('\n')).toContain(credTitle());
    const show = keepassxc(['show', '-s', '-a', 'Title', '-a', 'Password', '-a', 'UserName', credDb, credTitle()]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout.split('\n').slice(0, 3)).toEqual([credTitle(), CREDENTIAL_KEY, 'CREDENTIAL_ENCRYPTION_KEY']);
    const secret = keepassxc(['show', '-s', '-a', 'Password', secretDb, `arena-vault SECRET_KEY ${secretId}`]);
    expect(secret.stdout.trim()).toBe(SECRET_KEY);
  });

  it('the notes hold the key id, the time made, and the restore steps', () => {
    const notes = keepassxc(['show', '-a', 'Notes', credDb, credTitle()]).stdout;
    expect(notes).toContain(`key id ${credentialId}`);
    expect(notes).toMatch(/Made: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    expect(notes).toContain('npx wrangler secret put CREDENTIAL_ENCRYPTION_KEY');
    expect(notes).toContain('npm run verify-backup -- DATABASE --url');
  });

  it('a wrong master passphrase fails in keepassxc-cli', () => {
    const show = keepassxc(['show', '-s', '-a', 'Password', credDb, credTitle()], 'not the passphrase at all');
    expect(show.code).not.toBe(0);
    expect(show.stdout).not.toContain(CREDENTIAL_KEY);
    expect(show.stderr).toMatch(/Invalid credentials/);
  });

  it('verify-backup FILE.kdbx reads it back: CURRENT against .dev.vars', async () => {
    const r = await runScript('verify-backup', [credDb, '--passphrase-file', passFile, `--dev-vars=${devVars}`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${credDb}: CREDENTIAL_ENCRYPTION_KEY, key id ${credentialId}`);
    expect(r.stdout).toMatch(/CURRENT: /);
    expectNoCanary(r);
  });

  it('verify-backup with a wrong master passphrase: exit 2, one line', async () => {
    const wrong = path.join(dir, 'wrong');
    writeFileSync(wrong, 'not the passphrase at all\n');
    const r = await runScript('verify-backup', [credDb, '--passphrase-file', wrong, `--dev-vars=${devVars}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('verify-backup: could not open the KeePass database: wrong master passphrase\n');
  });

  it('never overwrites an existing file', async () => {
    const before = readFileSync(credDb);
    const r = await backup(['--only', 'credential-key', '--out', credDb]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists; not overwriting it/);
    expect(readFileSync(credDb).equals(before)).toBe(true);
  });
});

describe('"Do not store both secrets in the same backup location." holds for KeePass files', () => {
  it.each([
    ['the same .kdbx file', (d: string) => [path.join(d, 'x', 'v.kdbx'), path.join(d, 'x', 'v.kdbx')]],
    ['two .kdbx files side by side', (d: string) => [path.join(d, 'x', 'a.kdbx'), path.join(d, 'x', 'b.kdbx')]],
    ["a .kdbx file in the other secret's directory", (d: string) => [path.join(d, 'x'), path.join(d, 'x', 'b.kdbx')]],
  ])('%s is refused, nothing written', async (_what, places) => {
    const d = tempDir('kdbx-same');
    const [a, b] = places(d);
    const r = await backup(['--secret-key-out', a!, '--credential-key-out', b!]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/"Do not store both secrets in the same backup location\."/);
    expect(existsSync(path.join(d, 'x'))).toBe(false);
  });

  it('--qr is refused for a .kdbx destination', async () => {
    const d = tempDir('kdbx-qr');
    const r = await backup(['--only', 'secret-key', '--out', path.join(d, 'v.kdbx'), '--qr']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--qr prints .asc backups/);
    expect(readdirSync(d)).toEqual([]);
  });

  it("a weak master passphrase is refused by the gpg backups' rule", async () => {
    const d = tempDir('kdbx-weak');
    const weak = path.join(d, 'weak');
    writeFileSync(weak, 'P@ssw0rd2024!\n');
    const r = await runScript('backup-secrets', ['--dev-vars', devVars, '--passphrase-file', weak, '--only', 'secret-key', '--out', path.join(d, 'v.kdbx')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the passphrase is too weak/);
    expect(readdirSync(d)).toEqual(['weak']);
  });
});
