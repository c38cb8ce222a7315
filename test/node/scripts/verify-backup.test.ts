// verify-backup: opens a backup in memory and says whether it is the current
// key, a previous key or unknown, against a vault's /api/health (a stand-in
// HTTP server here) or a .dev.vars file, with one exit code per outcome. The
// keys are canaries: they must never reach stdout or stderr.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSecret, keyIdOfSecret } from '../../../scripts/lib/master-secrets.ts';
import { backupFileName, encryptBackup } from '../../../scripts/lib/secret-backup.ts';
import { gpgSymmetric, runScript, tempDir, type ScriptResult } from './run-script.ts';

const PASSPHRASE = 'purple-elephant-42 sings';
const CURRENT = { SECRET_KEY: generateSecret('SECRET_KEY'), CREDENTIAL_ENCRYPTION_KEY: generateSecret('CREDENTIAL_ENCRYPTION_KEY') };
const OLD = { SECRET_KEY: generateSecret('SECRET_KEY'), CREDENTIAL_ENCRYPTION_KEY: generateSecret('CREDENTIAL_ENCRYPTION_KEY') };
const STRANGER = generateSecret('CREDENTIAL_ENCRYPTION_KEY');
const CANARIES = [...Object.values(CURRENT), ...Object.values(OLD), STRANGER];

const dir = tempDir('verify');
const passFile = path.join(dir, 'passphrase');
const ids: Record<string, string> = {};
let credBackup: string; // a backup of the current CREDENTIAL_ENCRYPTION_KEY
let oldCredBackup: string;
let strangerBackup: string;
let secretBackup: string;

let health: unknown;
let server: Server;
let url: string;

function expectNoCanary(res: ScriptResult): void {
  for (const c of CANARIES) expect(res.stdout + res.stderr).not.toContain(c);
}

async function writeBackup(name: 'SECRET_KEY' | 'CREDENTIAL_ENCRYPTION_KEY', value: string): Promise<string> {
  const keyId = await keyIdOfSecret(name, value);
  const file = path.join(dir, backupFileName(name, keyId));
  writeFileSync(file, await encryptBackup({ name, value, keyId, passphrase: PASSPHRASE }));
  return file;
}

function healthBody(cred: { current: string; previous: string[] }, sec: { current: string; previous: string[] }): unknown {
  return {
    status: 'ok',
    config: { valid: true },
    keys: {
      credential_key: { current_key_id: cred.current, previous_key_ids: cred.previous },
      secret_key: { current_kid: sec.current, previous_kids: sec.previous, verification_keys: 1 + sec.previous.length },
    },
  };
}

beforeAll(async () => {
  writeFileSync(passFile, `${PASSPHRASE}\n`);
  for (const [label, value] of [
    ['cur-cred', CURRENT.CREDENTIAL_ENCRYPTION_KEY],
    ['old-cred', OLD.CREDENTIAL_ENCRYPTION_KEY],
    ['stranger', STRANGER],
  ]) {
    ids[label!] = await keyIdOfSecret('CREDENTIAL_ENCRYPTION_KEY', value!);
  }
  ids['cur-sec'] = await keyIdOfSecret('SECRET_KEY', CURRENT.SECRET_KEY);
  ids['old-sec'] = await keyIdOfSecret('SECRET_KEY', OLD.SECRET_KEY);
  credBackup = await writeBackup('CREDENTIAL_ENCRYPTION_KEY', CURRENT.CREDENTIAL_ENCRYPTION_KEY);
  oldCredBackup = await writeBackup('CREDENTIAL_ENCRYPTION_KEY', OLD.CREDENTIAL_ENCRYPTION_KEY);
  strangerBackup = await writeBackup('CREDENTIAL_ENCRYPTION_KEY', STRANGER);
  secretBackup = await writeBackup('SECRET_KEY', OLD.SECRET_KEY);

  server = createServer((req, res) => {
    if (req.url !== '/api/health') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(health));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => server?.close());

const verify = (file: string, ...args: string[]) => runScript('verify-backup', [file, '--passphrase-file', passFile, ...args]);

describe('verify-backup against a running vault (--url)', () => {
  beforeAll(() => {
    health = healthBody({ current: ids['cur-cred']!, previous: [ids['old-cred']!] }, { current: ids['cur-sec']!, previous: [ids['old-sec']!] });
  });

  it('exit 0 and CURRENT for the key in use', async () => {
    const res = await verify(credBackup, '--url', url);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`CREDENTIAL_ENCRYPTION_KEY, key id ${ids['cur-cred']}`);
    expect(res.stdout).toMatch(/CURRENT: this backup holds the CREDENTIAL_ENCRYPTION_KEY in use now/);
    expectNoCanary(res);
  });

  it('exit 3 and PREVIOUS for a key still in *_PREVIOUS', async () => {
    const res = await verify(oldCredBackup, '--url', `${url}/`);
    expect(res.code).toBe(3);
    expect(res.stdout).toMatch(/PREVIOUS: .*CREDENTIAL_ENCRYPTION_KEY_PREVIOUS/);
    expect(res.stdout).toContain(`in use has key id ${ids['cur-cred']}`);
    const sec = await verify(secretBackup, '--url', `${url}/api/health`);
    expect(sec.code).toBe(3);
    expect(sec.stdout).toMatch(/PREVIOUS: this backup holds a previous SECRET_KEY/);
    expectNoCanary(res);
    expectNoCanary(sec);
  });

  it('exit 4 and UNKNOWN for a key the vault does not know', async () => {
    const res = await verify(strangerBackup, '--url', url);
    expect(res.code).toBe(4);
    expect(res.stdout).toMatch(/UNKNOWN: /);
    expect(res.stdout).toContain(`key id ${ids.stranger}`);
    expectNoCanary(res);
  });

  it('exit 1 when the vault reports an invalid configuration', async () => {
    const saved = health;
    health = { status: 'error', config: { valid: false }, keys: null };
    try {
      const res = await verify(credBackup, '--url', url);
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/invalid configuration/);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      health = saved;
    }
  });

  it('exit 1 when no vault answers', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    const res = await verify(credBackup, '--url', `http://127.0.0.1:${port}`);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/could not read http:\/\/127\.0\.0\.1:\d+\/api\/health \(ECONNREFUSED\)/);
  });

  it('asks for the passphrase when no --passphrase-file is given (here on stdin)', async () => {
    const res = await runScript('verify-backup', [credBackup, '--url', url], { input: `${PASSPHRASE}\n` });
    expect(res.code).toBe(0);
    expectNoCanary(res);
  });
});

describe('verify-backup against .dev.vars (--dev-vars)', () => {
  it('tells current, previous and unknown apart', async () => {
    const devVars = path.join(dir, 'custom.dev.vars');
    writeFileSync(
      devVars,
      `SECRET_KEY=${CURRENT.SECRET_KEY}\nCREDENTIAL_ENCRYPTION_KEY=${CURRENT.CREDENTIAL_ENCRYPTION_KEY}\nCREDENTIAL_ENCRYPTION_KEY_PREVIOUS=${OLD.CREDENTIAL_ENCRYPTION_KEY}\n`,
    );
    const results = await Promise.all([credBackup, oldCredBackup, strangerBackup, secretBackup].map((f) => verify(f, `--dev-vars=${devVars}`)));
    expect(results.map((r) => r.code)).toEqual([0, 3, 4, 4]);
    expect(results[0]!.stdout).toContain(`(${devVars})`);
    results.forEach(expectNoCanary);
  });

  it('reads ./.dev.vars by default', async () => {
    const cwd = tempDir('verify-cwd');
    writeFileSync(path.join(cwd, '.dev.vars'), `SECRET_KEY=${OLD.SECRET_KEY}\nCREDENTIAL_ENCRYPTION_KEY=${CURRENT.CREDENTIAL_ENCRYPTION_KEY}\n`);
    const res = await runScript('verify-backup', [secretBackup, '--passphrase-file', passFile, '--dev-vars'], { cwd });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/CURRENT: this backup holds the SECRET_KEY in use now/);
  });

  it('verifies a hand-made gpg --symmetric backup of NAME=value lines, exiting with its worst standing', async () => {
    const seedStyle = path.join(dir, 'secrets.txt.gpg');
    gpgSymmetric(`SECRET_KEY=${CURRENT.SECRET_KEY}\nCREDENTIAL_ENCRYPTION_KEY=${OLD.CREDENTIAL_ENCRYPTION_KEY}\n`, seedStyle, passFile);
    const devVars = path.join(dir, 'seed.dev.vars');
    writeFileSync(devVars, `SECRET_KEY=${CURRENT.SECRET_KEY}\nCREDENTIAL_ENCRYPTION_KEY=${CURRENT.CREDENTIAL_ENCRYPTION_KEY}\n`);
    const res = await verify(seedStyle, `--dev-vars=${devVars}`);
    expect(res.stdout).toContain(`SECRET_KEY, key id ${ids['cur-sec']}`);
    expect(res.stdout).toMatch(/CURRENT: .*SECRET_KEY/);
    expect(res.stdout).toMatch(/UNKNOWN: .*CREDENTIAL_ENCRYPTION_KEY/);
    expect(res.code).toBe(4);
    expectNoCanary(res);
  });

  it('exit 1 when the .dev.vars file is missing', async () => {
    const res = await verify(credBackup, `--dev-vars=${path.join(dir, 'nope')}`);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/not found/);
  });
});

describe('verify-backup on a bad backup or bad input', () => {
  it('exit 2 on a wrong passphrase, saying so in one line', async () => {
    const wrong = path.join(dir, 'wrong');
    writeFileSync(wrong, 'another long passphrase here\n');
    const res = await runScript('verify-backup', [credBackup, '--passphrase-file', wrong, '--dev-vars']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/could not decrypt: wrong passphrase/);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('exit 2 on a file that is not a backup', async () => {
    const junk = path.join(dir, 'junk.asc');
    writeFileSync(junk, 'hello\n');
    const res = await verify(junk, '--url', url);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/not an OpenPGP message/);
  });

  it('trusts the encrypted content over a relabelled Comment header, and says so', async () => {
    const relabelled = path.join(dir, 'relabelled.asc');
    writeFileSync(relabelled, readFileSync(strangerBackup, 'utf8').replace(ids.stranger!, ids['cur-cred']!));
    health = healthBody({ current: ids['cur-cred']!, previous: [] }, { current: ids['cur-sec']!, previous: [] });
    const res = await verify(relabelled, '--url', url);
    expect(res.code).toBe(4);
    expect(res.stdout).toMatch(new RegExp(`warning: the file's label says CREDENTIAL_ENCRYPTION_KEY key id ${ids['cur-cred']}`));
  });

  it.each([
    [[], /expected exactly one backup FILE/],
    [['a.asc', 'b.asc'], /expected exactly one backup FILE/],
    [['--dev-vars', '.dev.vars', 'a.asc'], /give a .dev.vars path as --dev-vars=PATH/],
    [['a.asc', '--url', 'http://x', '--dev-vars'], /either --url or --dev-vars/],
    [['/nonexistent/backup.asc', '--url', 'http://x'], /cannot read \/nonexistent\/backup.asc: ENOENT/],
  ])('%j: exit 2 with one line', async (args, message) => {
    const res = await runScript('verify-backup', args);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(message);
  });

  it('has --help naming every option and the exit codes', async () => {
    const res = await runScript('verify-backup', ['--help']);
    expect(res.code).toBe(0);
    for (const flag of ['--passphrase-file', '--url', '--dev-vars']) expect(res.stdout).toContain(flag);
    expect(res.stdout).toMatch(/0 current key, 3 previous key, 4 unknown key/);
  });
});
