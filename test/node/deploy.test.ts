// `npm run deploy` (every deploy after deploy:first) through the REAL wrangler
// CLI against the Cloudflare API stand-in (test/support/cloudflare-api.ts,
// with its Worker versions and deployments): a backup of another key refused
// before anything changes; a deploy whose new version fails its health check,
// rolled back to the version that was live (the migrations stay); a good
// deploy with a pending migration listed and applied. The vault's
// /api/health is a small server here, answering for the version live in the
// stand-in. Keys are canaries: never in any output.
import { once } from 'node:events';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildKdbx } from '../../scripts/lib/kdbx-backup.ts';
import { generateSecret, keyIdOfSecret } from '../../scripts/lib/master-secrets.ts';
import { backupFileName, encryptBackup } from '../../scripts/lib/secret-backup.ts';
import { CloudflareApi } from '../support/cloudflare-api.ts';
import { writeProjectConfig } from '../support/wrangler-dev.ts';
import { ROOT, runScript, tempDir, type ScriptResult } from './scripts/run-script.ts';

const PASSPHRASE = 'granite otter lantern 93 quietly';
const ADMIN = { FIRST_ADMIN_EMAIL: 'first@example.org', FIRST_ADMIN_PASSWORD: 'a long admin password 42' };
const MIGRATIONS = readdirSync(path.join(ROOT, 'migrations'))
  .filter((f) => f.endsWith('.sql'))
  .sort();
const LAST = MIGRATIONS.at(-1)!;
const EXTRA = '9990_deploy_test_marker.sql';

let api: CloudflareApi;
let dir: string;
let config: string;
let migrationsDir: string;
let passFile: string;
let credBackup: string;
let secrets: Record<string, string>;
let ids: { credential: string; secret: string };
let goodVersion: string | null = null;
/** How the health stand-in answers for a version other than `goodVersion`. */
let newVersionHealthy = true;
let server: Server;
let url: string;

function healthBody(degraded: boolean) {
  return {
    status: degraded ? 'degraded' : 'ok',
    config: { valid: true, bindings: {} },
    d1: { reachable: true },
    keys: {
      credential_key: { current_key_id: ids.credential, previous_key_ids: [] },
      secret_key: { current_kid: ids.secret, previous_kids: [], verification_keys: 1 },
    },
    credential_rows: { missing_keys: degraded ? [{ key_id: 'abcdef0123456789', rows: 2 }] : [] },
  };
}

const BROKEN = {
  status: 'error',
  config: { valid: false, bindings: { CREDENTIAL_ENCRYPTION_KEY: { valid: false, problem: 'not a Fernet key' } } },
  d1: { reachable: true },
  keys: null,
  credential_rows: null,
};

function expectNoKeyIn(r: ScriptResult) {
  for (const v of Object.values(secrets)) expect(r.stdout + r.stderr).not.toContain(v);
}

function deploy(args: string[]): Promise<ScriptResult> {
  return runScript('deploy', ['--config', config, '--url', url, ...args], { cwd: dir, env: { ...api.env(), CI: '1' } });
}

const callsSince = (n: number) => api.calls.slice(n);
const deployCalls = (n: number) =>
  callsSince(n).filter(
    (c) =>
      (c.method === 'PUT' && /\/workers\/scripts\/arena-vault$/.test(c.path)) ||
      (c.method === 'POST' && /\/scripts\/arena-vault\/(versions|deployments)$/.test(c.path)),
  );
const appliedMigrations = () => api.sql<{ name: string }>('arena-vault', 'SELECT name FROM d1_migrations ORDER BY id').map((r) => r.name);

beforeAll(async () => {
  api = new CloudflareApi();
  await api.start();
  dir = tempDir('deploy');
  config = path.join(dir, 'wrangler.toml');
  writeProjectConfig(config);
  // The first deploy knows every migration but the last: that one is pending for the routine deploy.
  migrationsDir = path.join(dir, 'migrations');
  mkdirSync(migrationsDir);
  for (const m of MIGRATIONS.slice(0, -1)) copyFileSync(path.join(ROOT, 'migrations', m), path.join(migrationsDir, m));
  writeFileSync(config, readFileSync(config, 'utf8').replace(/^migrations_dir = .*$/m, `migrations_dir = ${JSON.stringify(migrationsDir)}`));
  passFile = path.join(dir, 'passphrase');
  writeFileSync(passFile, `${PASSPHRASE}\n`);
  const dirA = path.join(dir, 'usb-a');
  const dirB = path.join(dir, 'usb-b');
  const first = await runScript('deploy-first', ['--config', config, '--secret-key-dir', dirA, '--credential-key-dir', dirB, '--passphrase-file', passFile], {
    cwd: dir,
    env: { ...api.env(), ...ADMIN, CI: '1' },
  });
  if (first.code !== 0) throw new Error(`deploy:first failed: ${first.stdout}\n${first.stderr}`);
  credBackup = path.join(dirB, readdirSync(dirB)[0]!);
  secrets = Object.fromEntries(api.scripts.get('arena-vault')!.secrets);
  ids = {
    credential: await keyIdOfSecret('CREDENTIAL_ENCRYPTION_KEY', secrets.CREDENTIAL_ENCRYPTION_KEY!),
    secret: await keyIdOfSecret('SECRET_KEY', secrets.SECRET_KEY!),
  };
  copyFileSync(path.join(ROOT, 'migrations', LAST), path.join(migrationsDir, LAST));
  goodVersion = api.liveVersion();

  server = createServer((req, res) => {
    if (req.url !== '/api/health') return void res.writeHead(404).end();
    const healthy = api.liveVersion() === goodVersion || newVersionHealthy;
    res
      .writeHead(healthy ? 200 : 503, { 'content-type': 'application/json' })
      .end(JSON.stringify(healthy ? healthBody(api.liveVersion() !== goodVersion) : BROKEN));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.close();
  await api?.stop();
});

describe('npm run deploy', () => {
  it('--help lists every option', async () => {
    const r = await runScript('deploy', ['--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--url', '--backup', '--passphrase-file', '--decrypt-with', '--no-backup-check', '--config', '--wait-seconds'])
      expect(r.stdout).toContain(flag);
  });

  it('refuses a backup of another CREDENTIAL_ENCRYPTION_KEY before touching anything', async () => {
    const other = generateSecret('CREDENTIAL_ENCRYPTION_KEY');
    const otherId = await keyIdOfSecret('CREDENTIAL_ENCRYPTION_KEY', other);
    const file = path.join(tempDir('other-key'), backupFileName('CREDENTIAL_ENCRYPTION_KEY', otherId));
    writeFileSync(file, await encryptBackup({ name: 'CREDENTIAL_ENCRYPTION_KEY', value: other, keyId: otherId, passphrase: PASSPHRASE }));
    const n = api.calls.length;
    const r = await deploy(['--backup', file, '--passphrase-file', passFile]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/UNKNOWN: this backup holds a CREDENTIAL_ENCRYPTION_KEY that is neither/);
    expect(r.stderr.trim()).toBe(
      `deploy: ${file} is not a backup of the CREDENTIAL_ENCRYPTION_KEY the Worker uses now (key id ${ids.credential}); nothing was deployed`,
    );
    expect(callsSince(n)).toEqual([]);
    expect(appliedMigrations()).not.toContain(LAST);
    expect(r.stdout + r.stderr).not.toContain(other);
    expectNoKeyIn(r);
  });

  it('a new version failing its health check is rolled back to the version that was live; the migration stays, and it says so', async () => {
    newVersionHealthy = false;
    // A KeePass backup of the key in use this time.
    const kdbx = path.join(tempDir('kdbx'), 'vault.kdbx');
    writeFileSync(
      kdbx,
      await buildKdbx({
        passphrase: PASSPHRASE,
        entries: [{ name: 'CREDENTIAL_ENCRYPTION_KEY', value: secrets.CREDENTIAL_ENCRYPTION_KEY!, keyId: ids.credential, createdAt: new Date() }],
      }),
    );
    const before = api.liveVersion();
    const n = api.calls.length;
    const r = await deploy(['--backup', kdbx, '--passphrase-file', passFile, '--wait-seconds', '3']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/CURRENT: this backup holds the CREDENTIAL_ENCRYPTION_KEY in use now/);
    expect(r.stdout).toContain(`Pending D1 migrations (remote): ${LAST}`);
    expect(r.stderr).toMatch(
      /DEPLOY FAILED: the new version did not pass the health check within 3 s: \/api\/health answered 503; health status is error; the configuration is invalid \(CREDENTIAL_ENCRYPTION_KEY\)/,
    );
    expect(r.stderr).toContain(`Rolled back with wrangler rollback: version ${before}, live before this deploy, serves all traffic again`);
    expect(r.stderr).toContain(`The D1 migrations this deploy applied (${LAST}) are NOT rolled back`);
    // What reached "Cloudflare": a new version deployed, then the old one deployed again (the rollback).
    expect(deployCalls(n).map((c) => `${c.method} ${c.path.split('/').at(-1)}`)).toEqual(['POST versions', 'POST deployments', 'POST deployments']);
    const [rollback, failed] = api.deploymentsOf();
    expect(rollback!.versions).toEqual([{ version_id: before, percentage: 100 }]);
    expect(failed!.versions[0]!.version_id).not.toBe(before);
    expect(api.liveVersion()).toBe(before);
    expect(appliedMigrations()).toContain(LAST);
    expectNoKeyIn(r);
  });

  it('a good deploy: lists and applies the pending migration, deploys, waits for health with the same key ids, prints the warnings', async () => {
    newVersionHealthy = true;
    copyFileSync(path.join(ROOT, 'test/node/fixtures', EXTRA), path.join(migrationsDir, EXTRA));
    const before = api.liveVersion();
    const r = await deploy(['--backup', credBackup, '--passphrase-file', passFile]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`Pending D1 migrations (remote): ${EXTRA}`);
    expect(r.stdout).toContain('warning: 2 credential row(s) under key id abcdef0123456789');
    expect(r.stdout).toContain(
      `Deployed: /api/health answers 200 under the same key ids (CREDENTIAL_ENCRYPTION_KEY ${ids.credential}, SECRET_KEY ${ids.secret}).`,
    );
    expect(r.stderr).not.toMatch(/WARNING|FAILED/);
    expect(api.liveVersion()).not.toBe(before);
    expect(appliedMigrations().at(-1)).toBe(EXTRA);
    expect(Object.fromEntries(api.scripts.get('arena-vault')!.secrets)).toEqual(secrets);
    expectNoKeyIn(r);
  });

  it('--no-backup-check deploys with a loud warning, repeated at the end', async () => {
    const r = await deploy(['--no-backup-check']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('No pending D1 migrations.');
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('WARNING: --no-backup-check'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain(`key id ${ids.credential}`);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^WARNING: --no-backup-check/);
  });

  it('bad usage: neither --backup nor --no-backup-check, or no --url', async () => {
    const r = await runScript('deploy', ['--config', config, '--url', url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give --backup FILE .* or --no-backup-check/);
    const noUrl = await runScript('deploy', ['--config', config, '--no-backup-check']);
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/--url/);
  });

  it('wrangler made no call the stand-in does not know', () => {
    expect(api.calls.filter((c) => c.unknown).map((c) => `${c.method} ${c.path}`)).toEqual([]);
  });
});
