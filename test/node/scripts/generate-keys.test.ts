// generate-keys: keys in the right shapes (checked against Python's
// cryptography.fernet and the Worker's own config rules), the three output
// forms, and .dev.vars writing that never overwrites and never prints keys.
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config.ts';
import { Fernet } from '../../../src/crypto/fernet.ts';
import { parseDevVars } from '../../../scripts/lib/dev-vars.ts';
import { keyIdOfSecret } from '../../../scripts/lib/master-secrets.ts';
import { ROOT, runScript, tempDir } from './run-script.ts';

const HEX64 = /^[0-9a-f]{64}$/;
const FERNET = /^[A-Za-z0-9_-]{43}=$/;

function parseLines(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describe('generate-keys prints new keys', () => {
  it('prints NAME=value lines of both keys in the expected shapes, and their key ids on stderr', async () => {
    const res = await runScript('generate-keys', []);
    expect(res.code).toBe(0);
    const keys = parseLines(res.stdout);
    expect(Object.keys(keys)).toEqual(['SECRET_KEY', 'CREDENTIAL_ENCRYPTION_KEY']);
    expect(keys.SECRET_KEY).toMatch(HEX64);
    expect(keys.CREDENTIAL_ENCRYPTION_KEY).toMatch(FERNET);
    expect(res.stderr).toContain(`SECRET_KEY key id: ${await keyIdOfSecret('SECRET_KEY', keys.SECRET_KEY!)}`);
    expect(res.stderr).toContain(`CREDENTIAL_ENCRYPTION_KEY key id: ${await keyIdOfSecret('CREDENTIAL_ENCRYPTION_KEY', keys.CREDENTIAL_ENCRYPTION_KEY!)}`);
    // The Worker accepts them as they are.
    const { config, problems } = await parseConfig(keys);
    expect(problems).toEqual([]);
    expect(config).toBeDefined();
  });

  it('makes a Fernet key that Python cryptography accepts, interoperating both ways', async () => {
    const key = (await runScript('generate-keys', ['--only', 'credential-key'])).stdout.trim();
    const py = spawnSync(
      'python3',
      [
        '-c',
        'import sys; from cryptography.fernet import Fernet; f = Fernet(sys.stdin.readline().strip().encode()); print(f.encrypt(b"from python").decode())',
      ],
      { input: `${key}\n`, encoding: 'utf8' },
    );
    expect(py.stderr).toBe('');
    expect(py.status).toBe(0);
    const fernet = await Fernet.fromKey(key);
    expect(new TextDecoder().decode(await fernet.decrypt(py.stdout.trim()))).toBe('from python');
    const token = await fernet.encrypt('from node');
    const back = spawnSync(
      'python3',
      ['-c', 'import sys; from cryptography.fernet import Fernet; k, t = sys.stdin.read().split(); print(Fernet(k.encode()).decrypt(t.encode()).decode())'],
      { input: `${key}\n${token}\n`, encoding: 'utf8' },
    );
    expect(back.stdout.trim()).toBe('from node');
  });

  it('prints one bare value with --only, for piping into wrangler secret put', async () => {
    const s = await runScript('generate-keys', ['--only', 'secret-key']);
    expect(s.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    const c = await runScript('generate-keys', ['--only', 'credential-key']);
    expect(c.stdout).toMatch(/^[A-Za-z0-9_-]{43}=\n$/);
  });

  it('prints JSON for wrangler secret bulk with --json', async () => {
    const both = JSON.parse((await runScript('generate-keys', ['--json'])).stdout) as Record<string, string>;
    expect(Object.keys(both).sort()).toEqual(['CREDENTIAL_ENCRYPTION_KEY', 'SECRET_KEY']);
    expect(both.SECRET_KEY).toMatch(HEX64);
    expect(both.CREDENTIAL_ENCRYPTION_KEY).toMatch(FERNET);
    const one = JSON.parse((await runScript('generate-keys', ['--json', '--only', 'credential-key'])).stdout) as Record<string, string>;
    expect(Object.keys(one)).toEqual(['CREDENTIAL_ENCRYPTION_KEY']);
  });

  it('makes different keys every time', async () => {
    const [a, b] = await Promise.all([runScript('generate-keys', ['--json']), runScript('generate-keys', ['--json'])]);
    const ka = JSON.parse(a.stdout) as Record<string, string>;
    const kb = JSON.parse(b.stdout) as Record<string, string>;
    expect(ka.SECRET_KEY).not.toBe(kb.SECRET_KEY);
    expect(ka.CREDENTIAL_ENCRYPTION_KEY).not.toBe(kb.CREDENTIAL_ENCRYPTION_KEY);
  });
});

describe('generate-keys --write-dev-vars', () => {
  it('creates a missing .dev.vars (0600) with both keys, printing key ids but never the keys', async () => {
    const file = path.join(tempDir('gk'), '.dev.vars');
    const res = await runScript('generate-keys', ['--write-dev-vars', '--dev-vars', file]);
    expect(res.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const vars = parseDevVars(readFileSync(file, 'utf8'));
    expect(vars.SECRET_KEY).toMatch(HEX64);
    expect(vars.CREDENTIAL_ENCRYPTION_KEY).toMatch(FERNET);
    for (const v of [vars.SECRET_KEY!, vars.CREDENTIAL_ENCRYPTION_KEY!]) {
      expect(res.stdout + res.stderr).not.toContain(v);
    }
    expect(res.stdout).toContain(`key id ${await keyIdOfSecret('SECRET_KEY', vars.SECRET_KEY!)}`);
    expect(res.stdout).toContain(`key id ${await keyIdOfSecret('CREDENTIAL_ENCRYPTION_KEY', vars.CREDENTIAL_ENCRYPTION_KEY!)}`);
  });

  it('refuses, exit 3 and one line, when the keys are already set, leaving the file as it was', async () => {
    const file = path.join(tempDir('gk'), '.dev.vars');
    await runScript('generate-keys', ['--write-dev-vars', '--dev-vars', file]);
    const before = readFileSync(file, 'utf8');
    const res = await runScript('generate-keys', ['--write-dev-vars', '--dev-vars', file]);
    expect(res.code).toBe(3);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/already sets SECRET_KEY and CREDENTIAL_ENCRYPTION_KEY; not overwriting/);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('adds only the missing key and keeps every other line', async () => {
    const file = path.join(tempDir('gk'), '.dev.vars');
    const existing = '0123456789abcdef'.repeat(4);
    writeFileSync(file, `# mine\nSECRET_KEY=${existing}\nACCESS_TOKEN_EXPIRE_MINUTES=15\n`);
    const res = await runScript('generate-keys', ['--write-dev-vars', '--dev-vars', file]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/wrote CREDENTIAL_ENCRYPTION_KEY \(key id [0-9a-f]{16}\) .*kept the existing SECRET_KEY/);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# mine\n');
    expect(text).toContain('ACCESS_TOKEN_EXPIRE_MINUTES=15\n');
    const vars = parseDevVars(text);
    expect(vars.SECRET_KEY).toBe(existing);
    expect(vars.CREDENTIAL_ENCRYPTION_KEY).toMatch(FERNET);
    expect(res.stdout).not.toContain(vars.CREDENTIAL_ENCRYPTION_KEY);
  });

  it('replaces the placeholders of a copied .dev.vars.example', async () => {
    const file = path.join(tempDir('gk'), '.dev.vars');
    copyFileSync(path.join(ROOT, '.dev.vars.example'), file);
    const res = await runScript('generate-keys', ['--write-dev-vars', '--dev-vars', file]);
    expect(res.code).toBe(0);
    const vars = parseDevVars(readFileSync(file, 'utf8'));
    expect(vars.SECRET_KEY).toMatch(HEX64);
    expect(vars.CREDENTIAL_ENCRYPTION_KEY).toMatch(FERNET);
  });

  it('writes only the key --only names', async () => {
    const file = path.join(tempDir('gk'), '.dev.vars');
    const res = await runScript('generate-keys', ['--write-dev-vars', '--only', 'secret-key', '--dev-vars', file]);
    expect(res.code).toBe(0);
    expect(Object.keys(parseDevVars(readFileSync(file, 'utf8')))).toEqual(['SECRET_KEY']);
    expect((await runScript('generate-keys', ['--write-dev-vars', '--only', 'secret-key', '--dev-vars', file])).code).toBe(3);
  });

  it('writes ./.dev.vars in the working directory by default', async () => {
    const dir = tempDir('gk');
    const res = await runScript('generate-keys', ['--write-dev-vars'], { cwd: dir });
    expect(res.code).toBe(0);
    expect(parseDevVars(readFileSync(path.join(dir, '.dev.vars'), 'utf8')).SECRET_KEY).toMatch(HEX64);
  });
});

describe('generate-keys on bad input', () => {
  it.each([
    [['--only', 'jwt'], /--only takes secret-key or credential-key/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['stray-argument'], /unexpected argument/],
    [['--json', '--write-dev-vars'], /do not combine/],
    [['--dev-vars', '/tmp/x'], /--dev-vars only goes with --write-dev-vars/],
  ])('%j: exit 2 with one line and nothing on stdout', async (args, message) => {
    const res = await runScript('generate-keys', args);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(message);
  });

  it('has --help naming every option', async () => {
    const res = await runScript('generate-keys', ['--help']);
    expect(res.code).toBe(0);
    for (const flag of ['--only', '--json', '--write-dev-vars', '--dev-vars']) expect(res.stdout).toContain(flag);
  });
});
