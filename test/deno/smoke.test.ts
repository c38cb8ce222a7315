// Smoke test of the self-hosted Deno edition, black-box over HTTP: start the
// server with secrets in files (*_FILE, as Docker secrets mount them), log
// in, store a credential, restart with a new credential key (old one as
// previous), rotate, and read the credential back under the new key — then
// restart without the previous key to prove nothing still needs it.
// A canary secret must never appear in a response or in the server's output.
import assert from 'node:assert/strict';
import { hexEncode } from '../../src/crypto/encoding.ts';
import { callServer, runServerToExit, secretsInFiles, serverPaths, startServer, writeSecret, type ServerProcess } from './server-process.ts';
import { withTempDir } from './support.ts';

const CANARY = `canary-deno-smoke-${crypto.randomUUID()}`;
const ADMIN = { email: 'smoke-admin@example.test', password: `pw-${crypto.randomUUID()}` };

/** Every response body read in this file, to check for the canary at the end. */
const bodies: string[] = [];

async function call(server: ServerProcess, method: string, path: string, opts: { token?: string; json?: unknown } = {}) {
  const res = await callServer(server, method, path, opts);
  bodies.push(res.text);
  return res;
}

async function rotateAndWait(server: ServerProcess, token: string): Promise<Record<string, unknown>> {
  const start = await call(server, 'POST', '/api/admin/rotations/credential-key', { token, json: { batch_size: 10 } });
  assert.equal(start.status, 202, JSON.stringify(start.body));
  for (let i = 0; i < 600; i++) {
    const { status, body } = await call(server, 'GET', '/api/admin/rotations/credential-key', { token });
    assert.equal(status, 200, JSON.stringify(body));
    // Terminal, and the collection lock released (the run is finalized).
    if (['done', 'failed', 'aborted'].includes(String(body.phase)) && body.locked === false) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the rotation did not finish');
}

Deno.test({
  name: 'smoke: Deno server with *_FILE secrets — login, store, rotate the credential key across a restart, read back',
  // Child processes and their pipes are awaited explicitly below.
  sanitizeResources: false,
  fn: async () => {
    await withTempDir(async (dir) => {
      const { paths, oldKey, newKey, base, installRing } = await secretsInFiles(dir);
      const outputs: string[] = [];

      // 1. First start: migrations applied, health ok.
      let server = await startServer(base);
      try {
        assert.match(server.output(), /applied migrations: 0001_init\.sql/);
        const health = await call(server, 'GET', '/api/health');
        assert.equal(health.status, 200, JSON.stringify(health.body));
        // The first admin, through the Deno bootstrap script with its password in a file.
        const passwordFile = `${dir}/secrets/first_admin_password`;
        await writeSecret(passwordFile, ADMIN.password);
        const boot = await runServerToExit(
          { DATABASE_PATH: paths.database, FIRST_ADMIN_EMAIL: ADMIN.email, FIRST_ADMIN_PASSWORD_FILE: passwordFile },
          'deno/bootstrap-admin.ts',
        );
        assert.equal(boot.code, 0, boot.output);
        assert.match(boot.output, /Created the admin smoke-admin@example\.test/);
        outputs.push(boot.output);

        // 2. Log in and store a credential under the old key.
        const login = await call(server, 'POST', '/api/auth/login', { json: ADMIN });
        assert.equal(login.status, 200, JSON.stringify(login.body));
        assert.equal(login.body.token_type, 'bearer');
        const token = String(login.body.access_token);
        const created = await call(server, 'POST', '/api/credentials', {
          token,
          json: { platform: 'serper', tier: 'medium', credential_name: 'smoke serper', fields: { api_key: CANARY } },
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        const id = Number(created.body.id);
        const before = await call(server, 'POST', `/api/credentials/${id}/verify`, { token });
        assert.equal(before.body.result, 'ok');
        outputs.push(server.output());
        assert.equal((await server.stop('SIGTERM')).code, 0);

        // 3. Restart with the new key, the old one as previous (both from files).
        server = await startServer(await installRing());
        const pending = await call(server, 'POST', `/api/credentials/${id}/verify`, { token });
        assert.equal(pending.status, 200, JSON.stringify(pending.body));
        assert.equal(pending.body.result, 'needs_previous_key');

        // 4. Rotate through the REST API; the in-process KeyRotation object runs it.
        const final = await rotateAndWait(server, token);
        assert.equal(final.phase, 'done', JSON.stringify(final));
        const after = await call(server, 'POST', `/api/credentials/${id}/verify`, { token });
        assert.equal(after.body.result, 'ok', JSON.stringify(after.body));
        outputs.push(server.output());
        assert.equal((await server.stop('SIGTERM')).code, 0);

        // 5. Without the previous key the credential still opens: it really is under the new key.
        server = await startServer(base);
        const alone = await call(server, 'POST', `/api/credentials/${id}/verify`, { token });
        assert.equal(alone.body.result, 'ok', JSON.stringify(alone.body));
        assert.equal(alone.body.key_status, 'current');
      } finally {
        outputs.push(server.output());
        await server.stop('SIGTERM');
      }

      for (const text of [...bodies, ...outputs]) {
        assert.ok(!text.includes(CANARY), 'the credential never appears in a response or the server output');
        assert.ok(!text.includes(ADMIN.password), 'the password never appears');
        assert.ok(!text.includes(oldKey) && !text.includes(newKey), 'no key appears');
      }
    });
  },
});

Deno.test({
  name: 'smoke: the server refuses to start when a secret is set twice, its _FILE is unreadable or its value is invalid, naming the variable only',
  sanitizeResources: false,
  fn: async () => {
    await withTempDir(async (dir) => {
      const paths = serverPaths(dir);
      const secret = hexEncode(crypto.getRandomValues(new Uint8Array(32)));
      await writeSecret(paths.secretKey, secret);
      const twice = await runServerToExit({
        DATABASE_PATH: paths.database,
        SECRET_KEY: secret,
        SECRET_KEY_FILE: paths.secretKey,
        CREDENTIAL_ENCRYPTION_KEY_FILE: `${dir}/missing-key-file`,
      });
      assert.equal(twice.code, 2, twice.output);
      assert.match(twice.output, /SECRET_KEY and SECRET_KEY_FILE are both set/);
      assert.match(twice.output, /CREDENTIAL_ENCRYPTION_KEY_FILE points to .*missing-key-file, which cannot be read \(NotFound\)/);
      assert.ok(!twice.output.includes(secret));

      const weak = 'abc123-weak';
      const invalid = await runServerToExit({ DATABASE_PATH: paths.database, SECRET_KEY: weak });
      assert.equal(invalid.code, 2, invalid.output);
      assert.match(invalid.output, /SECRET_KEY is too weak/);
      assert.match(invalid.output, /CREDENTIAL_ENCRYPTION_KEY is missing or empty/);
      assert.match(invalid.output, /CREDENTIAL_ENCRYPTION_KEY \(or CREDENTIAL_ENCRYPTION_KEY_FILE\)/);
      assert.ok(!invalid.output.includes(weak));
      const created = await Deno.stat(paths.database).then(
        () => true,
        () => false,
      );
      assert.equal(created, false, 'a refused start leaves no database behind');
    });
  },
});
