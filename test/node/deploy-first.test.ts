// `npm run deploy:first` through the REAL wrangler CLI against the Cloudflare
// API stand-in (test/support/cloudflare-api.ts): a run that fails midway, a
// rerun that resumes without generating a second key, and what reached
// "Cloudflare": the secrets (equal to the gpg backups), the uploaded script's
// bindings and Durable Object migrations, the SQL run remotely.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudflareApi } from '../support/cloudflare-api.ts';
import { writeProjectConfig } from '../support/wrangler-dev.ts';
import { gpgDecrypt, ROOT, runScript, tempDir, type ScriptResult } from './scripts/run-script.ts';

const PASSPHRASE = 'granite otter lantern 93 quietly';
const ADMIN = { FIRST_ADMIN_EMAIL: 'first@example.org', FIRST_ADMIN_PASSWORD: 'a long admin password 42' };
const MIGRATIONS = readdirSync(path.join(ROOT, 'migrations'))
  .filter((f) => f.endsWith('.sql'))
  .sort();

interface Setup {
  api: CloudflareApi;
  dir: string;
  config: string;
  dirA: string;
  dirB: string;
  passFile: string;
}

async function setup(): Promise<Setup> {
  const api = new CloudflareApi();
  await api.start();
  const dir = tempDir('deploy-first');
  const config = path.join(dir, 'wrangler.toml');
  writeProjectConfig(config);
  const passFile = path.join(dir, 'passphrase');
  writeFileSync(passFile, `${PASSPHRASE}\n`);
  const dirA = path.join(dir, 'usb-a');
  const dirB = path.join(dir, 'usb-b');
  mkdirSync(dirA);
  mkdirSync(dirB);
  return { api, dir, config, dirA, dirB, passFile };
}

/** Runs deploy-first as the operator would, with wrangler pointed at the stand-in. */
function deployFirst(s: Setup, extra: string[] = []): Promise<ScriptResult> {
  const args = ['--config', s.config, '--secret-key-dir', s.dirA, '--credential-key-dir', s.dirB, '--passphrase-file', s.passFile, ...extra];
  return runScript('deploy-first', args, { cwd: s.dir, env: { ...s.api.env(), ...ADMIN, CI: '1' } });
}

/** The backups in a directory, decrypted with real gpg: name → value. */
function backupsIn(dir: string, passFile: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.asc'))) {
    const name = /^arena-vault-([A-Z_]+)-[0-9a-f]{16}\.asc$/.exec(f)![1]!;
    const gpg = gpgDecrypt(path.join(dir, f), passFile);
    expect(gpg.code, gpg.stderr).toBe(0);
    out[name] = gpg.stdout;
  }
  return out;
}

const secretsOf = (api: CloudflareApi) => Object.fromEntries(api.scripts.get('arena-vault')?.secrets ?? []);
const bulkCalls = (api: CloudflareApi) => api.secretBulkUploads();

function expectNoKeyIn(r: ScriptResult, secrets: Record<string, string>) {
  for (const v of Object.values(secrets)) {
    expect(r.stdout).not.toContain(v);
    expect(r.stderr).not.toContain(v);
  }
}

describe('deploy:first refuses bad backup places before touching Cloudflare', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup();
  });
  afterAll(async () => {
    await s.api.stop();
  });

  it.each([
    ['the same directory', (x: Setup) => [x.dirA, x.dirA], /"Do not store both secrets in the same backup location\."/],
    ['one inside the other', (x: Setup) => [x.dirA, path.join(x.dirA, 'inner')], /one is inside the other/],
    ['a directory inside the checkout', (x: Setup) => [path.join(ROOT, 'secrets'), x.dirB], /inside this checkout/],
  ])('%s', async (_what, dirs, message) => {
    const [a, b] = dirs(s);
    const r = await deployFirst({ ...s, dirA: a!, dirB: b! });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(s.api.calls).toEqual([]);
  });
});

describe('deploy:first: a deploy that fails midway, then resumes', () => {
  let s: Setup;
  let first: ScriptResult;
  let second: ScriptResult;
  let backups: Record<string, string>;

  beforeAll(async () => {
    s = await setup();
    // The script upload with the Durable Object migrations (wrangler deploy) fails once.
    s.api.failNext('PUT', '/workers/scripts/arena-vault', { when: (body) => typeof body?.metadata === 'string' && body.metadata.includes('"migrations"') });
    first = await deployFirst(s);
    backups = backupsIn(s.dirA, s.passFile);
    Object.assign(backups, backupsIn(s.dirB, s.passFile));
  });

  afterAll(async () => {
    await s.api.stop();
  });

  it('the first run stops at the deploy step with one line, after the backups and the secrets', () => {
    expect(first.code, first.stdout + first.stderr).toBe(1);
    expect(first.stderr.trim().split('\n').at(-1)).toMatch(/^deploy:first: step deploy failed: .*run `npm run deploy:first` again: it resumes here\.$/);
    expect(readdirSync(s.dirA)).toEqual([expect.stringMatching(/^arena-vault-SECRET_KEY-[0-9a-f]{16}\.asc$/)]);
    expect(readdirSync(s.dirB)).toEqual([expect.stringMatching(/^arena-vault-CREDENTIAL_ENCRYPTION_KEY-[0-9a-f]{16}\.asc$/)]);
    expect(Object.keys(backups).sort()).toEqual(['CREDENTIAL_ENCRYPTION_KEY', 'SECRET_KEY']);
    expectNoKeyIn(first, backups);
  });

  it('backed up before installing: the backups were written before the one secret bulk, which got exactly them', () => {
    expect(bulkCalls(s.api)).toHaveLength(1);
    expect(secretsOf(s.api)).toEqual(backups);
    expect(bulkCalls(s.api)[0]).toEqual(backups);
  });

  it('wrote the database id into wrangler.toml and applied the migrations remotely', () => {
    const [db] = [...s.api.databases.values()];
    expect(readFileSync(s.config, 'utf8')).toContain(`database_id = "${db!.uuid}"`);
    expect(s.api.sql<{ name: string }>('arena-vault', 'SELECT name FROM d1_migrations ORDER BY id').map((r) => r.name)).toEqual(MIGRATIONS);
  });

  it('keeps progress in .wrangler/deploy-first.json beside wrangler.toml, with no key in it', () => {
    const file = path.join(s.dir, '.wrangler', 'deploy-first.json');
    const text = readFileSync(file, 'utf8');
    expect(JSON.parse(text).done).toEqual(['database', 'migrations', 'secrets']);
    for (const v of Object.values(backups)) expect(text).not.toContain(v);
  });

  it('the rerun resumes at deploy, installs no secret, and finishes', async () => {
    second = await deployFirst(s);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toContain('Resuming: done already: database, migrations, secrets (');
    expect(second.stdout).not.toContain('== secrets ==');
    expect(second.stdout).toContain('First deploy complete.');
    expect(bulkCalls(s.api)).toHaveLength(1);
    expect(secretsOf(s.api)).toEqual(backups);
    expect(readdirSync(s.dirA)).toHaveLength(1);
    expect(readdirSync(s.dirB)).toHaveLength(1);
    expectNoKeyIn(second, backups);
  });

  it('uploaded the Worker with the D1 and Durable Object bindings and the Durable Object migration', () => {
    const script = s.api.scripts.get('arena-vault')!;
    const [db] = [...s.api.databases.values()];
    const bindings = script.metadata.bindings as { type: string; name: string; [k: string]: unknown }[];
    expect(bindings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'd1', name: 'DB', id: db!.uuid }),
        expect.objectContaining({ type: 'durable_object_namespace', name: 'POOL', class_name: 'CredentialPool' }),
        expect.objectContaining({ type: 'durable_object_namespace', name: 'ROTATION', class_name: 'KeyRotation' }),
        expect.objectContaining({ type: 'plain_text', name: 'ACCESS_TOKEN_EXPIRE_MINUTES', text: '30' }),
      ]),
    );
    expect(bindings.some((b) => b.type === 'secret_text')).toBe(false);
    expect(script.metadata.migrations).toEqual(
      expect.objectContaining({ new_tag: 'v1', steps: [expect.objectContaining({ new_sqlite_classes: ['CredentialPool', 'KeyRotation'] })] }),
    );
    expect(script.metadata.compatibility_flags).toContain('nodejs_compat');
    expect(script.migrationTag).toBe('v1');
    expect(script.modules.size).toBeGreaterThan(0);
    // The API reference page's files (Workers Static Assets) were uploaded and the script names the finished upload.
    expect(script.metadata.assets?.jwt).toMatch(/^assets-/);
    const swagger = readFileSync(path.join(ROOT, 'node_modules/swagger-ui-dist/swagger-ui-bundle.js'));
    expect([...s.api.assets.values()].some((b64) => Buffer.from(b64, 'base64').equals(swagger))).toBe(true);
  });

  it('created the first admin in the remote D1, with a scrypt hash and its audit event', () => {
    const users = s.api.sql<{ email: string; role: string; is_active: number; hashed_password: string }>(
      'arena-vault',
      'SELECT email, role, is_active, hashed_password FROM users',
    );
    expect(users).toEqual([expect.objectContaining({ email: ADMIN.FIRST_ADMIN_EMAIL, role: 'admin', is_active: 1 })]);
    expect(users[0]!.hashed_password).not.toContain(ADMIN.FIRST_ADMIN_PASSWORD);
    expect(s.api.sql('arena-vault', "SELECT action FROM audit_events WHERE actor = 'script:bootstrap-admin'")).toEqual([{ action: 'user.bootstrap_admin' }]);
    expect(second.stdout).not.toContain(ADMIN.FIRST_ADMIN_PASSWORD);
  });

  it('without its progress file, a rerun finds the installed secrets and opens their backups instead of generating new keys', async () => {
    rmSync(path.join(s.dir, '.wrangler', 'deploy-first.json'));
    const [a] = readdirSync(s.dirA);
    const [b] = readdirSync(s.dirB);
    const r = await deployFirst(s, ['--secret-key-backup', path.join(s.dirA, a!), '--credential-key-backup', path.join(s.dirB, b!)]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('D1 database arena-vault exists already');
    expect(r.stdout).toMatch(/SECRET_KEY is installed already \(key id [0-9a-f]{16}\) and its backup opens: not generating another\./);
    expect(r.stdout).toMatch(/CREDENTIAL_ENCRYPTION_KEY is installed already \(key id [0-9a-f]{16}\) and its backup opens/);
    expect(bulkCalls(s.api)).toHaveLength(1);
    expect(secretsOf(s.api)).toEqual(backups);
    expect(readdirSync(s.dirA)).toHaveLength(1);
    expect(readdirSync(s.dirB)).toHaveLength(1);
    expect(r.stdout).toContain('An active admin exists already (first@example.org); nothing to do.');
    expect(s.api.databases.size).toBe(1);
  });

  it('a third run has nothing left to do, and wrangler made no call the stand-in does not know', async () => {
    const before = s.api.calls.length;
    const third = await deployFirst(s);
    expect(third.code).toBe(0);
    expect(third.stdout).toContain('Resuming: done already: database, migrations, secrets, deploy, admin');
    expect(s.api.calls.length).toBe(before);
    expect(s.api.calls.filter((c) => c.unknown)).toEqual([]);
  });
});

describe('deploy:first: secret bulk fails after the backups are written', () => {
  let s: Setup;

  beforeAll(async () => {
    s = await setup();
  });
  afterAll(async () => {
    await s.api.stop();
  });

  it('the rerun installs the backed-up keys, not new ones', async () => {
    // The secret bulk call: PATCH .../settings (wrangler 4.86) or .../secrets-bulk (newer).
    s.api.failNext('PATCH', '/workers/scripts/arena-vault/se');
    const first = await deployFirst(s);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/step secrets failed/);
    expect(secretsOf(s.api)).toEqual({});
    const backups = { ...backupsIn(s.dirA, s.passFile), ...backupsIn(s.dirB, s.passFile) };

    const second = await deployFirst(s);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toContain('Using the SECRET_KEY backed up by the last run');
    expect(secretsOf(s.api)).toEqual(backups);
    expect(readdirSync(s.dirA)).toHaveLength(1);
    expect(readdirSync(s.dirB)).toHaveLength(1);
    expect(existsSync(path.join(s.dir, '.wrangler', 'deploy-first.json'))).toBe(true);
  });
});

describe('deploy:first: wrangler secret list fails', () => {
  let s: Setup;

  beforeAll(async () => {
    s = await setup();
  });
  afterAll(async () => {
    await s.api.stop();
  });

  it('stops at the secrets step after one secret list call, with no key generated or backed up', async () => {
    s.api.failNext('GET', '/workers/scripts/arena-vault/secrets', { message: 'the stand-in refuses to list secrets' });
    const r = await deployFirst(s);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/step secrets failed: wrangler secret list --format failed: A request to the Cloudflare API \(.*\/secrets\) failed/);
    expect(s.api.callsTo('GET', '/workers/scripts/arena-vault/secrets')).toHaveLength(1);
    expect(readdirSync(s.dirA)).toEqual([]);
    expect(readdirSync(s.dirB)).toEqual([]);
    expect(secretsOf(s.api)).toEqual({});
  });
});
