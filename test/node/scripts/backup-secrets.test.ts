// backup-secrets: one passphrase-encrypted file per secret that the real gpg
// opens, labelled by key id, never the key; plaintext never on disk or in the
// output; weak or mismatched passphrases refused; the QR page decodes back to
// a backup gpg opens. The keys are canaries: they must appear nowhere but
// inside gpg's decrypted output.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSecret, keyIdOfSecret } from '../../../scripts/lib/master-secrets.ts';
import { joinQrPayloads } from '../../../scripts/lib/qr-page.ts';
import { decodeQrPage } from './qr-raster.ts';
import { gpgDecrypt, ROOT, runScript, tempDir, type ScriptResult } from './run-script.ts';

const PASSPHRASE = 'purple-elephant-42 sings';
const SECRET_KEY = generateSecret('SECRET_KEY');
const CREDENTIAL_KEY = generateSecret('CREDENTIAL_ENCRYPTION_KEY');
const CANARIES = [SECRET_KEY, CREDENTIAL_KEY];
let secretId: string;
let credentialId: string;

function expectNoCanary(res: ScriptResult): void {
  for (const c of CANARIES) {
    expect(res.stdout).not.toContain(c);
    expect(res.stderr).not.toContain(c);
  }
}

function fixture(): { dir: string; devVars: string; passFile: string; out: string; out2: string; outs: string[] } {
  const dir = tempDir('backup');
  const devVars = path.join(dir, '.dev.vars');
  writeFileSync(devVars, `SECRET_KEY=${SECRET_KEY}\nCREDENTIAL_ENCRYPTION_KEY=${CREDENTIAL_KEY}\n`);
  const passFile = path.join(dir, 'passphrase');
  writeFileSync(passFile, `${PASSPHRASE}\n`);
  // Each secret in its own place (the runbook's rule): SECRET_KEY in out, CREDENTIAL_ENCRYPTION_KEY in out2.
  const out = path.join(dir, 'out');
  const out2 = path.join(dir, 'out2');
  return { dir, devVars, passFile, out, out2, outs: ['--secret-key-out', out, '--credential-key-out', out2] };
}

/** `gpg --list-packets`: which cipher protects the file (9 = AES-256). */
function gpgPackets(file: string, passFile: string): string {
  const home = tempDir('gnupg');
  try {
    return spawnSync('gpg', ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', '--passphrase-file', passFile, '--list-packets', file], {
      encoding: 'utf8',
    }).stdout;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  secretId = await keyIdOfSecret('SECRET_KEY', SECRET_KEY);
  credentialId = await keyIdOfSecret('CREDENTIAL_ENCRYPTION_KEY', CREDENTIAL_KEY);
});

describe('backup-secrets from .dev.vars', () => {
  let f: ReturnType<typeof fixture>;
  let res: ScriptResult;

  beforeAll(async () => {
    f = fixture();
    res = await runScript('backup-secrets', ['--dev-vars', f.devVars, ...f.outs, '--passphrase-file', f.passFile, '--qr']);
  });

  it('writes one file per secret, named by key id, and nothing else', () => {
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(readdirSync(f.out).sort()).toEqual([`arena-vault-SECRET_KEY-${secretId}.asc`, `arena-vault-SECRET_KEY-${secretId}.qr.svg`]);
    expect(readdirSync(f.out2).sort()).toEqual([
      `arena-vault-CREDENTIAL_ENCRYPTION_KEY-${credentialId}.asc`,
      `arena-vault-CREDENTIAL_ENCRYPTION_KEY-${credentialId}.qr.svg`,
    ]);
    expect(res.stdout).toContain(`key id ${secretId}`);
    expect(res.stdout).toContain(`key id ${credentialId}`);
    expectNoCanary(res);
  });

  it('each file opens with plain gpg --decrypt and holds exactly its own secret, under AES-256', () => {
    for (const [name, id, value] of [
      ['SECRET_KEY', secretId, SECRET_KEY],
      ['CREDENTIAL_ENCRYPTION_KEY', credentialId, CREDENTIAL_KEY],
    ] as const) {
      const file = path.join(name === 'SECRET_KEY' ? f.out : f.out2, `arena-vault-${name}-${id}.asc`);
      const gpg = gpgDecrypt(file, f.passFile);
      expect(gpg.code).toBe(0);
      expect(gpg.stdout).toBe(value);
      expect(gpgPackets(file, f.passFile)).toMatch(/symkey enc packet: version 4, cipher 9,/);
      const armored = readFileSync(file, 'utf8');
      expect(armored).toMatch(new RegExp(`^-----BEGIN PGP MESSAGE-----\\nComment: arena-vault backup of ${name}, key id ${id}\\n`));
      expect(statSync(file).mode & 0o777).toBe(0o600);
    }
  });

  it('never writes a key in clear: no file in the output holds either canary', () => {
    for (const file of [f.out, f.out2].flatMap((d) => readdirSync(d).map((n) => path.join(d, n)))) {
      const text = readFileSync(file, 'utf8');
      for (const c of CANARIES) expect(text).not.toContain(c);
    }
  });

  it('refuses a wrong passphrase in gpg', () => {
    const wrong = path.join(f.dir, 'wrong');
    writeFileSync(wrong, 'a different passphrase entirely\n');
    const gpg = gpgDecrypt(path.join(f.out, `arena-vault-SECRET_KEY-${secretId}.asc`), wrong);
    expect(gpg.code).not.toBe(0);
    expect(gpg.stdout).toBe('');
  });

  it('writes QR pages that decode back into a backup gpg opens, with the key id in clear', () => {
    const svg = readFileSync(path.join(f.out2, `arena-vault-CREDENTIAL_ENCRYPTION_KEY-${credentialId}.qr.svg`), 'utf8');
    expect(svg).toContain(`Key id: ${credentialId}`);
    const armored = joinQrPayloads(decodeQrPage(svg));
    expect(armored).toBe(readFileSync(path.join(f.out2, `arena-vault-CREDENTIAL_ENCRYPTION_KEY-${credentialId}.asc`), 'utf8'));
    const scanned = path.join(f.dir, 'scanned.asc');
    writeFileSync(scanned, armored);
    expect(gpgDecrypt(scanned, f.passFile).stdout).toBe(CREDENTIAL_KEY);
  });

  it('never overwrites an existing backup (exit 1, one line, files unchanged)', async () => {
    const file = path.join(f.out, `arena-vault-SECRET_KEY-${secretId}.asc`);
    const before = readFileSync(file, 'utf8');
    const again = await runScript('backup-secrets', ['--dev-vars', f.devVars, ...f.outs, '--passphrase-file', f.passFile]);
    expect(again.code).not.toBe(0);
    expect(again.stderr.trim().split('\n')).toHaveLength(1);
    expect(again.stderr).toMatch(/already exists; not overwriting/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });
});

describe('backup-secrets sources and passphrase prompts', () => {
  it('reads the environment with --from env, and --only backs up one secret', async () => {
    const f = fixture();
    const res = await runScript('backup-secrets', ['--from', 'env', '--only', 'credential-key', '--out', f.out, '--passphrase-file', f.passFile], {
      env: { SECRET_KEY, CREDENTIAL_ENCRYPTION_KEY: CREDENTIAL_KEY },
    });
    expect(res.code).toBe(0);
    expect(readdirSync(f.out)).toEqual([`arena-vault-CREDENTIAL_ENCRYPTION_KEY-${credentialId}.asc`]);
    expect(gpgDecrypt(path.join(f.out, readdirSync(f.out)[0]!), f.passFile).stdout).toBe(CREDENTIAL_KEY);
    expectNoCanary(res);
  });

  it('--from new generates a new key in memory and writes only its backup', async () => {
    const f = fixture();
    const res = await runScript('backup-secrets', ['--from', 'new', '--only', 'credential-key', '--out', f.out, '--passphrase-file', f.passFile]);
    expect(res.code, res.stderr).toBe(0);
    const [file] = readdirSync(f.out);
    const id = /^arena-vault-CREDENTIAL_ENCRYPTION_KEY-([0-9a-f]{16})\.asc$/.exec(file!)![1]!;
    const key = gpgDecrypt(path.join(f.out, file!), f.passFile).stdout;
    expect(await keyIdOfSecret('CREDENTIAL_ENCRYPTION_KEY', key)).toBe(id);
    expect(id).not.toBe(credentialId);
    expect(res.stdout + res.stderr).not.toContain(key);
  });

  it('asks for the secrets and the passphrase twice with --from prompt (here on stdin)', async () => {
    const f = fixture();
    const res = await runScript('backup-secrets', ['--from', 'prompt', ...f.outs], {
      input: `${SECRET_KEY}\n${CREDENTIAL_KEY}\n${PASSPHRASE}\n${PASSPHRASE}\n`,
    });
    expect(res.code).toBe(0);
    expect(gpgDecrypt(path.join(f.out, `arena-vault-SECRET_KEY-${secretId}.asc`), f.passFile).stdout).toBe(SECRET_KEY);
    expectNoCanary(res);
  });

  it('refuses two different passphrases and writes nothing', async () => {
    const f = fixture();
    const res = await runScript('backup-secrets', ['--dev-vars', f.devVars, ...f.outs], {
      input: `${PASSPHRASE}\n${PASSPHRASE}x\n`,
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/the two passphrases differ; nothing was written/);
    expect(() => readdirSync(f.out)).toThrow();
    expectNoCanary(res);
  });

  it.each([['short one'], ['Password1234'], ['abcdefghijklmnopq']])('refuses the weak passphrase %j without echoing it', async (weak) => {
    const f = fixture();
    const res = await runScript('backup-secrets', ['--dev-vars', f.devVars, ...f.outs], { input: `${weak}\n${weak}\n` });
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/passphrase is too (short|weak)/);
    expect(res.stderr).not.toContain(weak);
    expect(() => readdirSync(f.out)).toThrow();
  });

  it('applies the same rule to --passphrase-file', async () => {
    const f = fixture();
    writeFileSync(f.passFile, 'letmein\n');
    const res = await runScript('backup-secrets', ['--dev-vars', f.devVars, ...f.outs, '--passphrase-file', f.passFile]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/too short/);
  });
});

describe('backup-secrets on bad input', () => {
  it('refuses an invalid key in .dev.vars, naming it but not its value', async () => {
    const f = fixture();
    const bad = 'not-a-fernet-key-CANARY-0123456789';
    writeFileSync(f.devVars, `SECRET_KEY=${SECRET_KEY}\nCREDENTIAL_ENCRYPTION_KEY=${bad}\n`);
    const res = await runScript('backup-secrets', ['--dev-vars', f.devVars, ...f.outs, '--passphrase-file', f.passFile]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/CREDENTIAL_ENCRYPTION_KEY is not a Fernet key/);
    expect(res.stderr + res.stdout).not.toContain(bad);
    expectNoCanary(res);
  });

  const two = ['--secret-key-out', '/tmp/av-x', '--credential-key-out', '/tmp/av-y'];
  it.each([
    [[], /--secret-key-out DIR and --credential-key-out DIR/],
    [[...two, '--from', 'vault'], /--from takes dev-vars, env, prompt or new/],
    [['--out', '/tmp/x', '--only', 'both'], /--only takes/],
    [[...two, '--from', 'env', '--dev-vars', 'x'], /--dev-vars only goes with --from dev-vars/],
    [[...two, '--dev-vars', '/nonexistent/.dev.vars'], /not found/],
    [[...two, '--from', 'env'], /no SECRET_KEY in the environment/],
    // Both secrets in one place: refused, quoting the runbook's rule.
    [['--out', '/tmp/x'], /^backup-secrets: "Do not store both secrets in the same backup location\." /],
    [['--secret-key-out', '/tmp/av-same', '--credential-key-out', '/tmp/av-same/'], /"Do not store both secrets in the same backup location\."/],
    [
      ['--secret-key-out', '/tmp/av-outer', '--credential-key-out', '/tmp/av-outer/inner'],
      /"Do not store both secrets in the same backup location\.".*one is inside the other/,
    ],
    [['--only', 'secret-key', '--out', path.join(ROOT, 'secrets')], /is inside this checkout/],
    [['--secret-key-out', '/tmp/av-a', '--credential-key-out', path.join(ROOT, 'docs', 'keys')], /CREDENTIAL_ENCRYPTION_KEY .* is inside this checkout/],
  ])('%j: exit 2 with one line', async (args, message) => {
    const res = await runScript('backup-secrets', args, { env: { SECRET_KEY: undefined, CREDENTIAL_ENCRYPTION_KEY: undefined } });
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(message);
  });

  it('has --help naming every option and the passphrase rule', async () => {
    const res = await runScript('backup-secrets', ['--help']);
    expect(res.code).toBe(0);
    for (const flag of ['--out', '--secret-key-out', '--credential-key-out', '--from', '--dev-vars', '--only', '--passphrase-file', '--qr'])
      expect(res.stdout).toContain(flag);
    expect(res.stdout).toContain('Do not store both secrets in the same backup location.');
    expect(res.stdout).toMatch(/at least 12 characters/);
  });
});
