// The Deno edition's scoped permission sets (deno/deno.json, `-P`):
// `npm run start:deno` may read only the database directory, the migrations,
// wrangler.toml and /run/secrets or
// /run/credentials; write only the database directory; listen only on
// 127.0.0.1:8787. Started here through the package.json scripts' own command
// lines; only the listen address is widened to a free port (`--allow-net`
// replaces the set's net entry alone). A database, a secret file or a listen
// address outside the set stops the server with one clear line.
import assert from 'node:assert/strict';
import { existsSync as exists } from 'node:fs';
import { join } from 'node:path';
import { hexEncode } from '../../src/crypto/encoding.ts';
import { Fernet } from '../../src/crypto/fernet.ts';
import { callServer, freePort, packageScriptArgs, runServerToExit, startServer, writeSecret } from './server-process.ts';
import { readJson, ROOT, withTempDir } from './support.ts';

type PermissionSet = Record<string, boolean | string[]>;
const sets = readJson<{ permissions: Record<string, PermissionSet> }>('deno/deno.json').permissions;

const keys = () => ({ SECRET_KEY: hexEncode(crypto.getRandomValues(new Uint8Array(32))), CREDENTIAL_ENCRYPTION_KEY: Fernet.generateKey() });

/** A database directory inside the repository's data/, the only place the sets may write; removed after `fn`. */
async function withDataDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = join(ROOT, 'data', `test-permissions-${crypto.randomUUID()}`);
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test('the package scripts run with a named permission set, and no set grants more than its list', () => {
  assert.match(packageScriptArgs('start:deno').join(' '), /(^| )-P deno\/server\.ts$/);
  assert.match(packageScriptArgs('bootstrap-admin:deno').join(' '), /(^| )-P=bootstrap-admin deno\/bootstrap-admin\.ts$/);
  for (const name of ['start:deno', 'bootstrap-admin:deno']) assert.doesNotMatch(packageScriptArgs(name).join(' '), /--allow-|-A\b/);

  assert.deepEqual(Object.keys(sets).sort(), ['bootstrap-admin', 'default', 'docker', 'docker-bootstrap-admin']);
  for (const [name, set] of Object.entries(sets)) {
    // Nothing but file reads and writes, a listen address and the environment.
    assert.deepEqual(
      Object.keys(set).filter((k) => !['read', 'write', 'net', 'env'].includes(k)),
      [],
      name,
    );
    for (const kind of ['read', 'write', 'net'] as const) assert.ok(set[kind] === undefined || Array.isArray(set[kind]), `${name}.${kind} must be a list`);
    const data = name.startsWith('docker') ? '/data' : '../data';
    assert.deepEqual(set.write, [data], `${name} writes only ${data}`);
    const read = [
      data,
      '../migrations',
      '/run/secrets',
      '/run/credentials',
      ...(name.endsWith('bootstrap-admin') ? [] : ['../wrangler.toml', '../build/public']),
    ];
    assert.deepEqual([...(set.read as string[])].sort(), read.sort(), `${name} reads only its list`);
    assert.deepEqual(set.net, name.endsWith('bootstrap-admin') ? undefined : [name === 'docker' ? '0.0.0.0:8787' : '127.0.0.1:8787'], name);
  }
});

Deno.test({
  name: 'npm run bootstrap-admin:deno and start:deno work within their sets: first admin, login, a stored credential',
  sanitizeResources: false,
  fn: () =>
    withDataDir(async (dir) => {
      const database = join(dir, 'vault.sqlite');
      const admin = { email: 'perm-admin@example.test', password: `pw-${crypto.randomUUID()}` };
      const boot = await runServerToExit(
        { DATABASE_PATH: database, FIRST_ADMIN_EMAIL: admin.email, FIRST_ADMIN_PASSWORD: admin.password },
        undefined,
        [],
        packageScriptArgs('bootstrap-admin:deno'),
      );
      assert.equal(boot.code, 0, boot.output);
      assert.match(boot.output, /Created the admin perm-admin@example\.test/);

      const server = await startServer(
        { DATABASE_PATH: database, ...keys() },
        { denoArgs: (port) => packageScriptArgs('start:deno', [`--allow-net=127.0.0.1:${port}`]) },
      );
      try {
        const health = await callServer(server, 'GET', '/api/health');
        assert.equal(health.status, 200, health.text);
        const login = await callServer(server, 'POST', '/api/auth/login', { json: admin });
        assert.equal(login.status, 200, login.text);
        const token = String(login.body.access_token);
        const created = await callServer(server, 'POST', '/api/credentials', {
          token,
          json: { platform: 'serper', tier: 'medium', credential_name: 'perm serper', fields: { api_key: 'k-1234567890' } },
        });
        assert.equal(created.status, 201, created.text);
        const verified = await callServer(server, 'POST', `/api/credentials/${created.body.id}/verify`, { token });
        assert.equal(verified.body.result, 'ok', verified.text);
      } finally {
        assert.equal((await server.stop()).code, 0, server.output());
      }
      assert.ok(exists(`${database}.objects`), 'the Durable Object files live beside the database');
    }),
});

Deno.test({
  name: 'the server refuses a database, a secret file and a listen address outside its permission set',
  sanitizeResources: false,
  fn: () =>
    withTempDir(async (outside) => {
      const start = (env: Record<string, string>) => runServerToExit(env, undefined, [], packageScriptArgs('start:deno'));

      // A database outside data/: nothing is created there.
      const database = join(outside, 'db', 'vault.sqlite');
      const db = await start({ DATABASE_PATH: database, ...keys() });
      assert.equal(db.code, 2, db.output);
      assert.match(db.output, /refused write access to "[^"]*": it is outside the Deno permission set this process runs with \(deno\/deno\.json/);
      assert.ok(!exists(join(outside, 'db')), 'nothing written outside the set');

      // A valid key in a file outside /run/secrets: refused, its value never printed.
      const { SECRET_KEY, CREDENTIAL_ENCRYPTION_KEY } = keys();
      const secretFile = join(outside, 'secret_key');
      await writeSecret(secretFile, SECRET_KEY);
      await withDataDir(async (dir) => {
        const file = await start({ DATABASE_PATH: join(dir, 'vault.sqlite'), SECRET_KEY_FILE: secretFile, CREDENTIAL_ENCRYPTION_KEY });
        assert.equal(file.code, 2, file.output);
        assert.match(file.output, /SECRET_KEY_FILE points to [^\n]*secret_key, which cannot be read \(NotCapable: outside the Deno permission set/);
        assert.ok(!file.output.includes(SECRET_KEY));
        assert.ok(!exists(dir), 'stopped before touching the database');

        // Listening elsewhere than 127.0.0.1:8787.
        const port = freePort();
        const net = await start({ DATABASE_PATH: join(dir, 'vault.sqlite'), HOST: '127.0.0.1', PORT: String(port), ...keys() });
        assert.equal(net.code, 2, net.output);
        assert.match(net.output, new RegExp(`refused net access to "127\\.0\\.0\\.1:${port}": it is outside the Deno permission set`));
      });

      // The bootstrap script's own set refuses the same database.
      const boot = await runServerToExit(
        { DATABASE_PATH: database, FIRST_ADMIN_EMAIL: 'x@example.test', FIRST_ADMIN_PASSWORD: 'a long enough password' },
        undefined,
        [],
        packageScriptArgs('bootstrap-admin:deno'),
      );
      assert.equal(boot.code, 1, boot.output);
      assert.match(boot.output, /^bootstrap-admin: DATABASE_PATH=[^\n]*: refused write access/m);
    }),
});
