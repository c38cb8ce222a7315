// Smoke test of the self-hosted Node edition (issue 24), black-box over HTTP,
// as the Deno edition's test/deno/smoke.test.ts: the bundle `npm run
// start:node` runs, secrets in files (*_FILE, as Docker secrets mount them),
// the first admin through the Node bootstrap, login, store a credential,
// restart with a new credential key (old one as previous), rotate, read it
// back under the new key, restart without the previous key. A canary secret
// must never appear in a response or in the server's output.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callServer, secretsInFiles, waitForRotation, writeSecret, type HttpTarget } from '../../support/selfhost-server.ts';
import { BOOTSTRAP_BUNDLE, buildOnce, runToExit, startNodeServer, type NodeServer } from './server-process.ts';

const CANARY = `canary-node-smoke-${crypto.randomUUID()}`;
const ADMIN = { email: 'smoke-admin@example.test', password: `pw-${crypto.randomUUID()}` };

let dir: string;
beforeAll(async () => {
  await buildOnce();
  dir = mkdtempSync(join(tmpdir(), 'av-node-smoke-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every response body read in this file, to check for the canary at the end. */
const bodies: string[] = [];
async function call(server: HttpTarget, method: string, path: string, opts: { token?: string; json?: unknown } = {}) {
  const res = await callServer(server, method, path, opts);
  bodies.push(res.text);
  return res;
}

describe('Node edition: the real server', () => {
  it('with *_FILE secrets: bootstrap, login, store, rotate the credential key across a restart, read back', async () => {
    const { paths, oldKey, newKey, base, installRing } = secretsInFiles(dir);
    const outputs: string[] = [];

    // 1. First start: migrations applied, health ok, Node named in the banner.
    let server: NodeServer = await startNodeServer(base);
    try {
      expect(server.output()).toMatch(/applied migrations: 0001_init\.sql/);
      expect(server.output()).toMatch(/arena-vault \(Node\) listening on http:\/\/127\.0\.0\.1:\d+/);
      const health = await call(server, 'GET', '/api/health');
      expect(health.status, health.text).toBe(200);
      expect(health.body.status).toBe('ok');

      // The first admin, through the Node bootstrap bundle with its password in a file, while the server runs.
      const passwordFile = join(dir, 'secrets', 'first_admin_password');
      writeSecret(passwordFile, ADMIN.password);
      const boot = await runToExit(
        { DATABASE_PATH: paths.database, FIRST_ADMIN_EMAIL: ADMIN.email, FIRST_ADMIN_PASSWORD_FILE: passwordFile },
        { script: BOOTSTRAP_BUNDLE },
      );
      expect(boot.code, boot.output).toBe(0);
      expect(boot.output).toMatch(/Created the admin smoke-admin@example\.test/);
      outputs.push(boot.output);

      // 2. Log in (a page too: hono/jsx renders under Node) and store a credential under the old key.
      expect((await call(server, 'GET', '/login')).status).toBe(200);
      const login = await call(server, 'POST', '/api/auth/login', { json: ADMIN });
      expect(login.status, login.text).toBe(200);
      const token = String(login.body.access_token);
      const created = await call(server, 'POST', '/api/credentials', {
        token,
        json: { platform: 'serper', tier: 'medium', credential_name: 'smoke serper', fields: { api_key: CANARY } },
      });
      expect(created.status, created.text).toBe(201);
      const id = Number(created.body.id);
      expect((await call(server, 'POST', `/api/credentials/${id}/verify`, { token })).body.result).toBe('ok');
      outputs.push(server.output());
      expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });

      // 3. Restart with the new key, the old one as previous (both from files).
      server = await startNodeServer(installRing());
      const pending = await call(server, 'POST', `/api/credentials/${id}/verify`, { token });
      expect(pending.status, pending.text).toBe(200);
      expect(pending.body.result).toBe('needs_previous_key');

      // 4. Rotate through the REST API; the in-process KeyRotation object runs it.
      const start = await call(server, 'POST', '/api/admin/rotations/credential-key', { token, json: { batch_size: 10 } });
      expect(start.status, start.text).toBe(202);
      const final = await waitForRotation(server, token, { tries: 600, everyMs: 100 });
      expect(final.phase, JSON.stringify(final)).toBe('done');
      expect((await call(server, 'POST', `/api/credentials/${id}/verify`, { token })).body.result).toBe('ok');
      outputs.push(server.output());
      expect(await server.stop('SIGTERM')).toEqual({ code: 0, signal: null });

      // 5. Without the previous key the credential still opens: it really is under the new key.
      server = await startNodeServer(base);
      const alone = await call(server, 'POST', `/api/credentials/${id}/verify`, { token });
      expect(alone.body).toMatchObject({ result: 'ok', key_status: 'current' });
    } finally {
      outputs.push(server.output());
      await server.stop('SIGTERM');
    }

    for (const text of [...bodies, ...outputs]) {
      expect(text.includes(CANARY), 'the credential never appears in a response or the server output').toBe(false);
      expect(text.includes(ADMIN.password), 'the password never appears').toBe(false);
      expect(text.includes(oldKey) || text.includes(newKey), 'no key appears').toBe(false);
    }
  });

  it('sees the client address from the socket, not from a forged header; one server per database; a taken port', async () => {
    const sub = mkdtempSync(join(dir, 'one-'));
    const { base } = secretsInFiles(sub);
    const server = await startNodeServer(base);
    try {
      // A forged cf-connecting-ip does not choose the client: 21 bad logins (each for another account) from
      // "different" addresses all count against the one socket address, whose limit is 20 (CLIENT_RULE).
      let last = 0;
      for (let i = 0; i < 21; i++) {
        const res = await fetch(`${server.baseUrl}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'cf-connecting-ip': `198.51.100.${i}` },
          body: JSON.stringify({ email: `nobody${i}@example.test`, password: 'wrong-password-123' }),
        });
        last = res.status;
      }
      expect(last).toBe(429);

      const second = await runToExit({ ...base, HOST: '127.0.0.1', PORT: '0' });
      expect(second.code, second.output).toBe(2);
      expect(second.output).toContain('another arena-vault server is already using DATABASE_PATH=');

      // Another database on a port already taken: one line naming HOST, PORT and the reason.
      const port = new URL(server.baseUrl).port;
      const busy = await runToExit({ ...base, DATABASE_PATH: join(sub, 'other.sqlite'), HOST: '127.0.0.1', PORT: port });
      expect(busy.code, busy.output).toBe(2);
      expect(busy.output).toContain(`HOST=127.0.0.1 PORT=${port}: cannot listen (EADDRINUSE)`);
    } finally {
      await server.stop('SIGTERM');
    }
  });
});
