// The production (--remote) flows of the operator scripts, through the REAL
// wrangler CLI against the Cloudflare API stand-in (test/support/cloudflare-api.ts):
// bootstrap-admin --remote, import-credentials --remote, rotate-credential-key
// --remote (with --finalize) and rotate-secret-key --remote.
//
// Where a flow needs the live Worker's HTTP API (health, the rotation API), the
// Worker is a local `wrangler dev` of this project whose secrets are kept in
// step with what the stand-in received: every time wrangler changes the
// Worker's secrets on "Cloudflare", the test restarts wrangler dev with exactly
// those secrets (as a new Worker version would start). Its D1 is wrangler dev's
// local one; the stand-in's D1 is what the scripts' `wrangler d1 ... --remote`
// calls see.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptBackup } from '../../scripts/lib/secret-backup.ts';
import { keyIdOfSecret } from '../../scripts/lib/master-secrets.ts';
import { Fernet } from '../../src/crypto/fernet.ts';
import { CloudflareApi } from '../support/cloudflare-api.ts';
import { writeProjectConfig } from '../support/wrangler-dev.ts';
import { DevVault, decryptAll, seedVault } from '../support/dev-vault.ts';
import { gpgDecrypt, ROOT, runScript, tempDir, type ScriptResult } from './scripts/run-script.ts';

const PASSPHRASE = 'marble heron quietly 71 lantern';
const OLD_SECRET = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join('');
const OLD_CRED = Fernet.generateKey();
const NEW_CRED = Fernet.generateKey();
const ORIGINAL_KEY = Fernet.generateKey();
const ADMIN = { FIRST_ADMIN_EMAIL: 'ops@example.org', FIRST_ADMIN_PASSWORD: 'another long admin password 7' };

let api: CloudflareApi;
let vault: DevVault;
let dir: string;
let config: string;
let passFile: string;
let apiKey: string;
let originals: Map<number, string>;
let restarts: Promise<void> = Promise.resolve();

/** Runs an operator script with wrangler pointed at the stand-in and at `config`. */
function script(name: string, args: string[], env: Record<string, string> = {}): Promise<ScriptResult> {
  return runScript(name, args, { cwd: dir, env: { ...api.env(), ARENA_VAULT_WRANGLER_CONFIG: config, ARENA_VAULT_API_KEY: '', CI: '1', ...env } });
}

function wrangler(args: string[]): Promise<ScriptResult> {
  return new Promise((resolve) => {
    const child = spawn(path.join(ROOT, 'node_modules/.bin/wrangler'), [...args, '--config', config], {
      cwd: dir,
      env: { ...process.env, ...api.env(), NO_COLOR: '1', CI: '1' },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code, stdout: out, stderr: '' }));
  });
}

const secrets = () => Object.fromEntries(api.scripts.get('arena-vault')!.secrets);
const workerVars = () => ({ ...secrets(), ACCESS_TOKEN_EXPIRE_MINUTES: '1' });

function expectNoKeys(r: ScriptResult, keys: string[]) {
  for (const k of keys) {
    expect(r.stdout).not.toContain(k);
    expect(r.stderr).not.toContain(k);
  }
}

beforeAll(async () => {
  api = new CloudflareApi();
  await api.start();
  dir = tempDir('remote');
  config = path.join(dir, 'wrangler.toml');
  writeProjectConfig(config);
  passFile = path.join(dir, 'passphrase');
  writeFileSync(passFile, `${PASSPHRASE}\n`);

  // "Production": a D1 database made and migrated by wrangler, and a Worker with both secrets.
  expect((await wrangler(['d1', 'create', 'arena-vault'])).code).toBe(0);
  const [db] = [...api.databases.values()];
  writeFileSync(config, readFileSync(config, 'utf8').replace(/^database_id = .*$/m, `database_id = "${db!.uuid}"`));
  const migrated = await wrangler(['d1', 'migrations', 'apply', 'DB', '--remote']);
  expect(migrated.code, migrated.stdout).toBe(0);
  api.seedWorker('arena-vault', { SECRET_KEY: OLD_SECRET, CREDENTIAL_ENCRYPTION_KEY: OLD_CRED });

  // The live Worker: wrangler dev, restarted with the stand-in's secrets whenever they change.
  vault = new DevVault({ ...workerVars() });
  ({ apiKey, originals } = await seedVault(vault, 60, await Fernet.fromKey(OLD_CRED)));
  // Its local D1 gets the same admin, to log in with (the remote one is made below through the stand-in).
  const local = await script('bootstrap-admin', ['--persist-to', vault.state], { ...ADMIN, ARENA_VAULT_WRANGLER_CONFIG: vault.config });
  expect(local.code, local.stderr).toBe(0);
  await vault.start();
  api.onSecretsChanged = () => {
    restarts = restarts.then(async () => {
      await vault.stop();
      await vault.start(workerVars(), 'secrets changed on the stand-in');
    });
  };
}, 240_000);

afterAll(async () => {
  await restarts.catch(() => undefined);
  await vault?.dispose();
  await api?.stop();
});

describe('bootstrap-admin --remote', () => {
  it('creates the admin in the remote D1 through wrangler, and a rerun changes nothing', async () => {
    const r = await script('bootstrap-admin', ['--remote'], ADMIN);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Created the admin ${ADMIN.FIRST_ADMIN_EMAIL} in the remote D1.`);
    const users = api.sql<{ email: string; role: string; hashed_password: string }>('arena-vault', 'SELECT email, role, hashed_password FROM users');
    expect(users).toEqual([expect.objectContaining({ email: ADMIN.FIRST_ADMIN_EMAIL, role: 'admin' })]);
    expect(users[0]!.hashed_password).toMatch(/^scrypt\$/);
    // The password hash went through a file (D1's import API), never wrangler's command line.
    const commands = api.callsTo('POST', '/query').map((c) => String(c.body?.sql));
    expect(commands.some((sql) => sql.includes(users[0]!.hashed_password))).toBe(false);
    expect(api.callsTo('PUT', '/upload/').length).toBeGreaterThan(0);

    const again = await script('bootstrap-admin', ['--remote'], ADMIN);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('is already an active admin in the remote D1; nothing changed.');
    expectNoKeys(r, [ADMIN.FIRST_ADMIN_PASSWORD]);
  });
});

describe('import-credentials --remote', () => {
  it('imports into the remote D1 under the vault key, skipping what is there on a rerun', async () => {
    const original = await Fernet.fromKey(ORIGINAL_KEY);
    const secret = `remote-canary-${crypto.randomUUID()}`;
    const rows = [
      {
        platform: 'serper',
        tier: 'medium',
        credential_name: 'Serper remote',
        credentials: await original.encrypt(JSON.stringify({ api_key: secret })),
        is_active: true,
        daily_quota: 100,
      },
    ];
    const file = path.join(dir, 'rows.jsonl');
    writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`);
    const keyFile = path.join(dir, 'original.key');
    writeFileSync(keyFile, ORIGINAL_KEY);
    const r = await script('import-credentials', [file, '--old-key-file', keyFile, '--remote', '--vault-url', vault.url], {
      CREDENTIAL_ENCRYPTION_KEY: OLD_CRED,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/1 rows read: imported 1 into the remote D1/);
    const [row] = api.sql<{ encrypted_value: string; key_id: string }>(
      'arena-vault',
      "SELECT encrypted_value, key_id FROM api_credentials WHERE credential_name = 'Serper remote'",
    );
    const vaultFernet = await Fernet.fromKey(OLD_CRED);
    expect(row!.key_id).toBe(vaultFernet.keyId);
    expect(JSON.parse(new TextDecoder().decode(await vaultFernet.decrypt(row!.encrypted_value)))).toEqual({ api_key: secret });
    expect(api.sql('arena-vault', "SELECT count(*) AS n FROM audit_events WHERE action = 'credential.import'")).toEqual([{ n: 1 }]);

    const again = await script('import-credentials', [file, '--old-key-file', keyFile, '--remote'], { CREDENTIAL_ENCRYPTION_KEY: OLD_CRED });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/imported 0 into the remote D1 .* 1 already present/);
    expectNoKeys(r, [secret, OLD_CRED, ORIGINAL_KEY]);
  });
});

describe('rotate-credential-key --remote', () => {
  it('prints the Time Travel bookmark, installs the ring with one secret bulk, rotates, and --finalize deletes the previous key', async () => {
    const oldFile = path.join(dir, 'old.key');
    const newFile = path.join(dir, 'new.key');
    const apiKeyFile = path.join(dir, 'admin.key');
    writeFileSync(oldFile, OLD_CRED);
    writeFileSync(newFile, NEW_CRED);
    writeFileSync(apiKeyFile, apiKey);
    const bulkBefore = api.secretBulkUploads().length;
    const r = await script('rotate-credential-key', [
      '--remote',
      '--url',
      vault.url,
      '--old-key-file',
      oldFile,
      '--new-key-file',
      newFile,
      '--api-key-file',
      apiKeyFile,
      '--wait-seconds',
      '120',
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const [db] = [...api.databases.values()];
    expect(r.stdout).toContain(`Undo point (D1 Time Travel bookmark): ${db!.history.at(-1)!.bookmark}`);
    expect(api.callsTo('GET', '/time_travel/bookmark')).toHaveLength(1);
    expect(api.secretBulkUploads()).toHaveLength(bulkBefore + 1);
    expect(secrets()).toEqual({ SECRET_KEY: OLD_SECRET, CREDENTIAL_ENCRYPTION_KEY: NEW_CRED, CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: OLD_CRED });
    expect(r.stdout).toContain('Done: 60 of 60 rows re-encrypted');

    const fin = await script('rotate-credential-key', ['--finalize', '--remote', '--url', vault.url, '--api-key-file', apiKeyFile, '--wait-seconds', '120']);
    expect(fin.code, fin.stdout + fin.stderr).toBe(0);
    expect(api.callsTo('DELETE', '/secrets/CREDENTIAL_ENCRYPTION_KEY_PREVIOUS')).toHaveLength(1);
    expect(secrets()).toEqual({ SECRET_KEY: OLD_SECRET, CREDENTIAL_ENCRYPTION_KEY: NEW_CRED });
    expectNoKeys(r, [OLD_CRED, NEW_CRED]);
    expectNoKeys(fin, [OLD_CRED, NEW_CRED]);

    await restarts;
    await vault.stop();
    expect(await decryptAll(vault, await Fernet.fromKey(NEW_CRED))).toEqual(originals);
    await vault.start(workerVars());
  });
});

describe('rotate-secret-key --remote', () => {
  it('backs up and checks the new key, installs it beside the old one, waits for the old tokens to expire, deletes the previous key', async () => {
    // The old key's backup, as deploy:first wrote it; its key is never typed or written in clear.
    const oldBackup = path.join(dir, 'old-secret.asc');
    writeFileSync(
      oldBackup,
      await encryptBackup({ name: 'SECRET_KEY', value: OLD_SECRET, keyId: await keyIdOfSecret('SECRET_KEY', OLD_SECRET), passphrase: PASSPHRASE }),
    );
    const out = tempDir('new-secret-backup');
    // A token signed by the old key: the previous key may go once it has expired (1-minute tokens here).
    await restarts;
    const login = await vault.api('POST', '/api/auth/login', undefined, { email: ADMIN.FIRST_ADMIN_EMAIL, password: ADMIN.FIRST_ADMIN_PASSWORD });
    expect(login.status, login.text).toBe(200);

    const r = await script('rotate-secret-key', [
      '--remote',
      '--url',
      vault.url,
      '--old-backup',
      oldBackup,
      '--out',
      out,
      '--passphrase-file',
      passFile,
      '--wait-seconds',
      '240',
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const sent = api.secretBulkUploads().at(-1)!;
    expect(Object.keys(sent).sort()).toEqual(['SECRET_KEY', 'SECRET_KEY_PREVIOUS']);
    expect(sent.SECRET_KEY_PREVIOUS).toBe(OLD_SECRET);
    expect(api.callsTo('DELETE', '/secrets/SECRET_KEY_PREVIOUS')).toHaveLength(1);
    const now = secrets();
    expect(Object.keys(now).sort()).toEqual(['CREDENTIAL_ENCRYPTION_KEY', 'SECRET_KEY']);
    expect(now.SECRET_KEY).not.toBe(OLD_SECRET);
    expect(sent.SECRET_KEY).toBe(now.SECRET_KEY);
    // The backup written first holds exactly the key Cloudflare got (opened with the real gpg).
    const [backup] = readdirSync(out);
    expect(gpgDecrypt(path.join(out, backup!), passFile).stdout).toBe(now.SECRET_KEY);
    expect(r.stdout).toMatch(/CURRENT: this backup holds the SECRET_KEY in use now/);
    expect(r.stdout).toContain('Done: the vault runs on SECRET_KEY');
    await restarts;
    const health = await vault.api('GET', '/api/health');
    expect(health.json.keys.secret_key.current_kid).toBe(await keyIdOfSecret('SECRET_KEY', now.SECRET_KEY!));
    expect(health.json.keys.secret_key.previous_kids).toEqual([]);
    expectNoKeys(r, [OLD_SECRET, now.SECRET_KEY!]);
    expect(api.calls.filter((c) => c.unknown)).toEqual([]);
  }, 400_000);
});
