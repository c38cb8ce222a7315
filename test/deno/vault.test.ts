// The whole Worker app in-process on the Deno edition (openVault, no HTTP
// server): pages render with hono/jsx, and the credential pool's leases and
// collection lock run with the same CredentialPool logic, over SQLite.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openVault, type Vault } from '../../selfhost/vault.ts';
import { POOL_OBJECT_NAME, type PoolLockApi } from '../../src/pool/lock-api.ts';
import { TEST_CREDENTIAL_KEY, TEST_SECRET_KEY } from '../support/keys.ts';
import { bootstrapAdmin } from './server-process.ts';
import { rejection, withTempDir } from './support.ts';
import { SettingsError } from '../../selfhost/secrets.ts';

const CANARY = `canary-deno-pool-${crypto.randomUUID()}`;

async function request(vault: Vault, method: string, path: string, headers: Record<string, string> = {}, json?: unknown) {
  const res = await vault.fetch(
    new Request(`http://127.0.0.1${path}`, {
      method,
      headers: { ...headers, ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: json === undefined ? undefined : JSON.stringify(json),
    }),
  );
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    // a page
  }
  return { status: res.status, headers: res.headers, text, body };
}

async function withVault(fn: (vault: Vault, admin: Record<string, string>) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    const vault = await openVault({
      env: { SECRET_KEY: TEST_SECRET_KEY, CREDENTIAL_ENCRYPTION_KEY: TEST_CREDENTIAL_KEY },
      databasePath: join(dir, 'vault.sqlite'),
    });
    try {
      await bootstrapAdmin(vault.databasePath, 'pool-admin@example.test', 'pool-admin-password-1');
      const login = await request(vault, 'POST', '/api/auth/login', {}, { email: 'pool-admin@example.test', password: 'pool-admin-password-1' });
      assert.equal(login.status, 200, login.text);
      await fn(vault, { authorization: `Bearer ${login.body.access_token}` });
    } finally {
      await vault.close();
    }
  });
}

Deno.test({
  name: 'vault on Deno: the login page renders with its CSP nonce and CSRF field',
  sanitizeResources: false,
  fn: () =>
    withVault(async (vault) => {
      const page = await request(vault, 'GET', '/login');
      assert.equal(page.status, 200);
      assert.match(page.text, /name="csrf_token"/);
      assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'nonce-/);
    }),
});

Deno.test({
  name: 'vault on Deno: the pool leases a credential once, refuses while locked (423) and serves again after unlock',
  sanitizeResources: false,
  fn: () =>
    withVault(async (vault, admin) => {
      const key = await request(vault, 'POST', '/api/api-keys', admin, { name: 'deno collector', scope: 'collector' });
      assert.equal(key.status, 201, key.text);
      const collector = { authorization: `ApiKey ${key.body.key}` };
      const created = await request(vault, 'POST', '/api/credentials', admin, {
        platform: 'serper',
        tier: 'medium',
        credential_name: 'pool test',
        fields: { api_key: CANARY },
      });
      assert.equal(created.status, 201, created.text);
      assert.ok(!created.text.includes(CANARY));

      const want = { platform: 'serper', tier: 'medium', task_id: 'deno-task-1' };
      const lease = await request(vault, 'POST', '/api/pool/acquire', collector, want);
      assert.equal(lease.status, 200, lease.text);
      assert.deepEqual(lease.body.fields, { api_key: CANARY }, 'the lease is the one place the plaintext leaves');
      const busy = await request(vault, 'POST', '/api/pool/acquire', collector, { ...want, task_id: 'deno-task-2' });
      assert.equal(busy.status, 404, busy.text);
      assert.equal((busy.body.error as { code: string }).code, 'NO_CREDENTIAL_AVAILABLE');
      const released = await request(vault, 'POST', '/api/pool/release', collector, { lease_id: lease.body.lease_id });
      assert.equal(released.status, 200, released.text);

      const POOL = vault.bindings.POOL as { idFromName(n: string): unknown; get(id: unknown): PoolLockApi };
      const pool = POOL.get(POOL.idFromName(POOL_OBJECT_NAME));
      assert.equal((await pool.lock('deno-test')).locked, true);
      const refused = await request(vault, 'POST', '/api/pool/acquire', collector, want);
      assert.equal(refused.status, 423, refused.text);
      assert.ok(Number(refused.headers.get('retry-after')) > 0);
      await pool.unlock('deno-test');
      const again = await request(vault, 'POST', '/api/pool/acquire', collector, want);
      assert.equal(again.status, 200, again.text);
    }),
});

Deno.test({
  name: 'vault on Deno: a second server on the same database is refused while the first runs, and allowed after it stops',
  sanitizeResources: false,
  fn: async () => {
    await withTempDir(async (dir) => {
      const options = { env: { SECRET_KEY: TEST_SECRET_KEY, CREDENTIAL_ENCRYPTION_KEY: TEST_CREDENTIAL_KEY }, databasePath: join(dir, 'vault.sqlite') };
      const first = await openVault(options);
      const refused = await rejection(() => openVault(options));
      assert.ok(refused instanceof SettingsError, String(refused));
      assert.match(refused.message, /another arena-vault server is already using DATABASE_PATH/);
      await first.close();
      const second = await openVault(options);
      await second.close();
    });
  },
});

Deno.test({
  name: 'vault on Deno: every admin page of ARCHITECTURE.md renders (hono/jsx) and arena health answers',
  sanitizeResources: false,
  fn: () =>
    withVault(async (vault, admin) => {
      for (const path of ['/admin/credentials', '/admin/query-designs', '/admin/rotation', '/admin/users', '/admin/audit', '/admin/recovery']) {
        const page = await request(vault, 'GET', path, admin);
        assert.equal(page.status, 200, `${path}: ${page.text.slice(0, 200)}`);
        assert.match(page.headers.get('content-type') ?? '', /text\/html/, path);
      }
      const health = await request(vault, 'GET', '/api/arenas/health', admin);
      assert.equal(health.status, 200, health.text);
      assert.ok('overall' in health.body, health.text.slice(0, 200));
    }),
});
