// `_FILE` secrets on the Node edition (the runbook's Docker Secrets section:
// SECRET_KEY_FILE=/run/secrets/secret_key): a missing, unreadable or empty
// `_FILE`, a secret set twice, or an invalid value stops the server before it
// touches the database, with exit code 2 and a message that names the
// variable (and the path) but never the value. The rules are the ones the
// Deno edition runs (selfhost/secrets.ts); this drives the real bundle.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hexEncode } from '../../../src/crypto/encoding.ts';
import { Fernet } from '../../../src/crypto/fernet.ts';
import { callServer, serverPaths, writeSecret } from '../../support/selfhost-server.ts';
import { buildOnce, runToExit, startNodeServer } from './server-process.ts';

const secret = hexEncode(crypto.getRandomValues(new Uint8Array(32)));
const credentialKey = Fernet.generateKey();

let dir: string;
let paths: ReturnType<typeof serverPaths>;
beforeAll(async () => {
  await buildOnce();
  dir = mkdtempSync(join(tmpdir(), 'av-node-secrets-'));
  chmodSync(dir, 0o755); // the unprivileged user below must reach the (unreadable) key file's directory
  paths = serverPaths(dir);
  writeSecret(paths.secretKey, secret);
  writeSecret(paths.credentialKey, credentialKey);
  chmodSync(join(dir, 'secrets'), 0o755);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the server to its refusal; checks the exit code, that no value leaked and that no database was made. */
async function refused(env: Record<string, string>, spawnAs?: { uid: number; gid: number }): Promise<string> {
  const { code, output } = await runToExit({ DATABASE_PATH: paths.database, ...env }, { spawn: spawnAs });
  expect(code, output).toBe(2);
  for (const value of [secret, credentialKey]) expect(output.includes(value), 'no secret value in the message').toBe(false);
  expect(existsSync(paths.database), 'a refused start leaves no database behind').toBe(false);
  return output;
}

describe('Node edition: *_FILE secrets', () => {
  it('reads both keys from files (trailing newline dropped) and serves with them', async () => {
    const server = await startNodeServer({
      DATABASE_PATH: join(dir, 'ok.sqlite'),
      SECRET_KEY_FILE: paths.secretKey,
      CREDENTIAL_ENCRYPTION_KEY_FILE: paths.credentialKey,
    });
    try {
      const health = await callServer(server, 'GET', '/api/health');
      expect(health.status).toBe(200);
      const keys = health.body.keys as { credential_key: { current_key_id: string } };
      expect(keys.credential_key.current_key_id).toBe((await Fernet.fromKey(credentialKey)).keyId);
    } finally {
      await server.stop();
    }
  });

  it('a missing file and a variable set twice: one message naming each variable and the path, never the value', async () => {
    const out = await refused({
      SECRET_KEY: secret,
      SECRET_KEY_FILE: paths.secretKey,
      CREDENTIAL_ENCRYPTION_KEY_FILE: join(dir, 'missing-key-file'),
    });
    expect(out).toMatch(/SECRET_KEY and SECRET_KEY_FILE are both set/);
    expect(out).toMatch(/CREDENTIAL_ENCRYPTION_KEY_FILE points to .*missing-key-file, which cannot be read \(NotFound\)/);
  });

  it('a directory, or an empty path, is refused by name', async () => {
    mkdirSync(join(dir, 'a-directory'), { recursive: true });
    const out = await refused({ SECRET_KEY_FILE: join(dir, 'a-directory'), CREDENTIAL_ENCRYPTION_KEY_FILE: '' });
    expect(out).toMatch(/SECRET_KEY_FILE points to .*a-directory, which cannot be read \(IsADirectory\)/);
    expect(out).toMatch(/CREDENTIAL_ENCRYPTION_KEY_FILE is set but empty/);
  });

  it('a file the server user may not read is refused by name (PermissionDenied)', async () => {
    const unreadable = join(dir, 'secrets', 'unreadable_key');
    writeSecret(unreadable, credentialKey);
    // Root reads any file, so as root the server runs as `nobody` (what a non-root container user meets);
    // otherwise the file loses its read bit.
    const asRoot = process.getuid?.() === 0;
    if (!asRoot) chmodSync(unreadable, 0o000);
    const out = await refused({ SECRET_KEY: secret, CREDENTIAL_ENCRYPTION_KEY_FILE: unreadable }, asRoot ? { uid: 65534, gid: 65534 } : undefined);
    expect(out).toMatch(/CREDENTIAL_ENCRYPTION_KEY_FILE points to .*unreadable_key, which cannot be read \(PermissionDenied\)/);
    expect(
      out.split('\n').filter((l) => l.startsWith('  - ')),
      'SECRET_KEY as a plain variable is fine',
    ).toHaveLength(1);
  });

  it('an invalid value from a file is refused as the Worker refuses it, naming what to set', async () => {
    const weak = join(dir, 'secrets', 'weak_secret_key');
    writeSecret(weak, 'weak-secret-123');
    const out = await refused({ SECRET_KEY_FILE: weak, CREDENTIAL_ENCRYPTION_KEY_FILE: paths.credentialKey });
    expect(out).toMatch(/SECRET_KEY is too weak/);
    expect(out).toContain('Set SECRET_KEY (or SECRET_KEY_FILE)');
    expect(out).not.toContain('weak-secret-123');
  });
});
