// scripts/rotate-credential-key.ts against a real `wrangler dev`: bad input is
// one line and a non-zero exit; the local flow writes the ring to .dev.vars,
// waits for the operator to restart wrangler dev (done here when the script
// asks), rotates with a progress display, checks health and prints the last
// step; a failed rotation is one line and exit 1; --finalize removes the
// previous key. Keys are canaries: they never appear in any output.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fernet } from '../../src/crypto/fernet.ts';
import { readFileSync } from 'node:fs';
import { parseDevVars } from '../../scripts/lib/dev-vars.ts';
import { DevVault, ROOT, decryptAll, seedVault } from '../support/dev-vault.ts';

const SCRIPT = path.join(ROOT, 'scripts/rotate-credential-key.ts');
const OLD_KEY = Fernet.generateKey();
const NEW_KEY = Fernet.generateKey();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the script; when it asks for a restart of wrangler dev, `onRestart` does it. */
function runScript(args: string[], opts: { onRestart?: () => Promise<void>; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...args], {
      cwd: ROOT,
      env: { ...process.env, ARENA_VAULT_API_KEY: '', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let restarting = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!restarting && opts.onRestart && /restart it now/.test(stderr)) {
        restarting = true;
        void opts.onRestart();
      }
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function expectNoKeys(r: Run) {
  for (const k of [OLD_KEY, NEW_KEY]) {
    expect(r.stdout).not.toContain(k);
    expect(r.stderr).not.toContain(k);
  }
}

describe('rotate-credential-key: refusals without a vault', () => {
  it.each([
    [['--bogus'], 2, /Unknown option '--bogus'/],
    [['--old-key-file', '/nonexistent/old.key', '--new-key-file', '/nonexistent/new.key'], 2, /cannot read the old key file \/nonexistent\/old.key: ENOENT/],
    [['--finalize', '--old-key-file', 'x'], 2, /--finalize takes no keys/],
    [['--url', 'ftp://x'], 2, /--url must be an http/],
  ])('%j → exit %i, one line', async (args, code, message) => {
    const r = await runScript(args as string[]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses a key that is not a Fernet key, and the same key twice', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const d = mkdtempSync(path.join(tmpdir(), 'rot-keys-'));
    writeFileSync(path.join(d, 'bad.key'), 'not-a-key\n');
    writeFileSync(path.join(d, 'old.key'), `${OLD_KEY}\n`);
    const bad = await runScript(['--old-key-file', path.join(d, 'old.key'), '--new-key-file', path.join(d, 'bad.key')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('the new key is not a Fernet key');
    const same = await runScript(['--old-key-file', path.join(d, 'old.key'), '--new-key-file', path.join(d, 'old.key')]);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain('the old and the new key are the same key');
    expectNoKeys(bad);
    expectNoKeys(same);
  });

  it('says plainly when the vault cannot be reached', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const d = mkdtempSync(path.join(tmpdir(), 'rot-keys-'));
    writeFileSync(path.join(d, 'old.key'), OLD_KEY);
    writeFileSync(path.join(d, 'new.key'), NEW_KEY);
    const r = await runScript(['--old-key-file', path.join(d, 'old.key'), '--new-key-file', path.join(d, 'new.key'), '--url', 'http://127.0.0.1:9'], {
      env: { ARENA_VAULT_API_KEY: 'av_xxxxxxxxxxxx_yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy' },
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('rotate-credential-key: cannot read the key ids from http://127.0.0.1:9/api/health (is `npm run dev` running?)');
  });
});

describe('rotate-credential-key: the local flow on wrangler dev', () => {
  let vault: DevVault;
  let apiKeyFile: string;
  let oldFile: string;
  let newFile: string;
  let originals: Map<number, string>;
  let apiKey: string;
  const restart = async () => {
    await vault.kill();
    await vault.start();
  };

  beforeAll(async () => {
    vault = new DevVault({
      SECRET_KEY: Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join(''),
      CREDENTIAL_ENCRYPTION_KEY: OLD_KEY,
    });
    const oldF = await Fernet.fromKey(OLD_KEY);
    ({ apiKey, originals } = await seedVault(vault, 400, oldF));
    // One row the ring will not open: the first rotation must fail on it.
    const stranger = await Fernet.fromKey(Fernet.generateKey());
    vault.execute(`INSERT INTO api_credentials (id, platform, tier, credential_name, encrypted_value, key_id, created_at, updated_at)
      VALUES (9999, 'serper', 'medium', 'stranger', '${await stranger.encrypt('{"api_key":"x"}')}', '${stranger.keyId}', 0, 0);`);
    apiKeyFile = path.join(vault.dir, 'admin.key');
    oldFile = path.join(vault.dir, 'old.key');
    newFile = path.join(vault.dir, 'new.key');
    writeFileSync(apiKeyFile, `${apiKey}\n`);
    writeFileSync(oldFile, `${OLD_KEY}\n`);
    writeFileSync(newFile, `${NEW_KEY}\n`);
    await vault.start();
  });

  afterAll(async () => {
    await vault?.dispose();
  });

  const args = () => [
    '--old-key-file',
    oldFile,
    '--new-key-file',
    newFile,
    '--api-key-file',
    apiKeyFile,
    '--url',
    vault.url,
    '--dev-vars',
    vault.devVars,
    '--wait-seconds',
    '90',
    '--batch-size',
    '50',
  ];

  it('installs the ring, and a rotation over an undecryptable row fails in one line', async () => {
    const r = await runScript(args(), { onRestart: restart });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`Wrote ${vault.devVars}`);
    expect(r.stderr).toContain('wrangler dev does not reload .dev.vars: restart it now');
    const last = r.stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(/^rotate-credential-key: the rotation failed: Verification failed before anything was written: 1 row\(s\).*ids 9999/);
    const vars = parseDevVars(readFileSync(vault.devVars, 'utf8'));
    expect(vars.CREDENTIAL_ENCRYPTION_KEY).toBe(NEW_KEY);
    expect(vars.CREDENTIAL_ENCRYPTION_KEY_PREVIOUS).toBe(OLD_KEY);
    expect(vars.SECRET_KEY).toMatch(/^[0-9a-f]{64}$/);
    expectNoKeys(r);
  });

  it('after the bad row is removed, runs to the end with progress, health and the last step', async () => {
    expect((await vault.json('DELETE', '/api/credentials/9999', apiKey)).status).toBe(200);
    const r = await runScript(args());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('already runs under key');
    expect(r.stdout).toMatch(/Rotation started \(run [0-9a-f-]{36}\)/);
    expect(r.stderr).toMatch(/\[#+\] 100% {2}400\/400 {2}(checking|done)/);
    expect(r.stdout).toContain('Done: 400 of 400 rows re-encrypted, 0 skipped');
    expect(r.stdout).toContain('No row needs the previous key any more.');
    expect(r.stdout).toMatch(/Arena health: /);
    expect(r.stdout).toContain(`Last step: remove the previous key with \`npm run rotate-credential-key -- --finalize --url ${vault.url}\``);
    expectNoKeys(r);
  });

  it('a second run has nothing to do', async () => {
    const r = await runScript(args());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Nothing to rotate');
  });

  it('--finalize removes the previous key and waits for the vault to drop it', async () => {
    const r = await runScript(['--finalize', '--api-key-file', apiKeyFile, '--url', vault.url, '--dev-vars', vault.devVars, '--wait-seconds', '90'], {
      onRestart: restart,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Finalized');
    const vars = parseDevVars(readFileSync(vault.devVars, 'utf8'));
    expect(vars.CREDENTIAL_ENCRYPTION_KEY).toBe(NEW_KEY);
    expect(vars.CREDENTIAL_ENCRYPTION_KEY_PREVIOUS).toBeUndefined();
    const health = await vault.json('GET', '/api/health');
    expect(health.body.keys.credential_key.previous_key_ids).toEqual([]);
    expectNoKeys(r);

    await vault.kill();
    const after = await decryptAll(vault, await Fernet.fromKey(NEW_KEY));
    expect(after).toEqual(originals);
  });
});
