/**
 * What the server tests of both self-hosted editions share (test/deno/ under
 * Deno, test/node/node-edition/ under vitest): secrets in files (*_FILE, as
 * Docker secrets mount them), JSON calls to a running server, an admin and
 * old-key credential rows written straight into its SQLite file, waiting for
 * the credential-key rotation, and checking every row under the new key.
 * Runtime-neutral: node:fs and node:sqlite, which Deno serves too; each
 * edition's own helper starts and stops its server process.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { hexEncode } from '../../src/crypto/encoding.ts';
import { Fernet } from '../../src/crypto/fernet.ts';
import { hashPassword } from '../../src/crypto/password.ts';

/** A running server, as each edition's helper returns it. */
export interface HttpTarget {
  baseUrl: string;
}

export const ROTATION_PATH = '/api/admin/rotations/credential-key';

export const serverPaths = (dir: string) => ({
  database: join(dir, 'vault.sqlite'),
  secretKey: join(dir, 'secrets', 'secret_key'),
  credentialKey: join(dir, 'secrets', 'credential_encryption_key'),
  credentialKeyPrevious: join(dir, 'secrets', 'credential_encryption_key_previous'),
});

/** Writes a secret file (0600) with a trailing newline, as `echo` writes it. */
export function writeSecret(path: string, value: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
}

/**
 * A server directory with its secrets in files: a fresh SECRET_KEY and
 * `oldKey` as the credential key; `base` is the env that points at them.
 * `installRing()` then makes `newKey` current and `oldKey` previous (files
 * only; a restart picks them up) and returns the env for that ring.
 */
export function secretsInFiles(dir: string) {
  const paths = serverPaths(dir);
  const oldKey = Fernet.generateKey();
  const newKey = Fernet.generateKey();
  writeSecret(paths.secretKey, hexEncode(crypto.getRandomValues(new Uint8Array(32))));
  writeSecret(paths.credentialKey, oldKey);
  const base = { DATABASE_PATH: paths.database, SECRET_KEY_FILE: paths.secretKey, CREDENTIAL_ENCRYPTION_KEY_FILE: paths.credentialKey };
  return {
    paths,
    oldKey,
    newKey,
    base,
    installRing(): Record<string, string> {
      writeSecret(paths.credentialKey, newKey);
      writeSecret(paths.credentialKeyPrevious, oldKey);
      return { ...base, CREDENTIAL_ENCRYPTION_KEY_PREVIOUS_FILE: paths.credentialKeyPrevious };
    },
  };
}

/** A JSON call to the server, with a bearer token when given; `body` is {} when the answer is not JSON (a page). */
export async function callServer(server: HttpTarget, method: string, path: string, opts: { token?: string; json?: unknown } = {}) {
  const res = await fetch(server.baseUrl + path, {
    method,
    headers: {
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.json !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: opts.json === undefined ? undefined : JSON.stringify(opts.json),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON (a page); the status tells
  }
  return { status: res.status, body, text };
}

/** Creates an active admin straight in the server's SQLite file, with the real password hasher. */
export async function bootstrapAdmin(databasePath: string, email: string, password: string): Promise<number> {
  const hashed = await hashPassword(password);
  const db = new DatabaseSync(databasePath);
  try {
    db.exec('PRAGMA busy_timeout = 5000');
    const now = Date.now();
    const row = db
      .prepare(
        `INSERT INTO users (email, hashed_password, display_name, role, is_active, token_version, created_at, updated_at)
         VALUES (?, ?, 'Smoke admin', 'admin', 1, 0, ?, ?) RETURNING id`,
      )
      .get(email, hashed, now, now) as { id: number };
    return row.id;
  } finally {
    db.close();
  }
}

/** `rows` old-key credentials written straight into SQLite (as an import would), each with a distinct payload. */
export async function seedOldKeyRows(databasePath: string, key: string, rows: number): Promise<void> {
  const f = await Fernet.fromKey(key);
  const tokens = await Promise.all(Array.from({ length: rows }, (_, i) => f.encrypt(JSON.stringify({ api_key: `row-${i}-secret` }))));
  const db = new DatabaseSync(databasePath);
  db.exec('PRAGMA busy_timeout = 5000; BEGIN');
  const ins = db.prepare(
    `INSERT INTO api_credentials (platform, tier, credential_name, encrypted_value, key_id, is_active, created_at, updated_at)
     VALUES ('serper', 'medium', ?, ?, ?, 1, ?, ?)`,
  );
  for (const [i, t] of tokens.entries()) ins.run(`row ${i}`, t, f.keyId, Date.now(), Date.now());
  db.exec('COMMIT');
  db.close();
}

/** Every seeded row is under `key` and opens to exactly its own payload; none lost or duplicated. */
export async function assertRowsUnderKey(databasePath: string, key: string, rows: number): Promise<void> {
  const f = await Fernet.fromKey(key);
  const db = new DatabaseSync(databasePath);
  const found = db.prepare('SELECT credential_name, encrypted_value, key_id FROM api_credentials ORDER BY id').all() as {
    credential_name: string;
    encrypted_value: string;
    key_id: string;
  }[];
  db.close();
  assert.equal(found.length, rows);
  for (const r of found) {
    assert.equal(r.key_id, f.keyId);
    const i = Number(r.credential_name.split(' ')[1]);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(await f.decrypt(r.encrypted_value))), { api_key: `row-${i}-secret` });
  }
  assert.equal(new Set(found.map((r) => r.credential_name)).size, rows);
}

/** Polls the rotation until it is terminal and the collection lock is released; returns the last status. */
export async function waitForRotation(server: HttpTarget, token: string, opts: { tries: number; everyMs: number }): Promise<Record<string, unknown>> {
  let status: Record<string, unknown> = {};
  for (let i = 0; i < opts.tries; i++) {
    status = (await callServer(server, 'GET', ROTATION_PATH, { token })).body;
    if (['done', 'failed', 'aborted'].includes(String(status.phase)) && status.locked === false) return status;
    await new Promise((r) => setTimeout(r, opts.everyMs));
  }
  return status;
}

/** Polls until the rotation is re-encrypting and has done some rows (the moment to crash it). */
export async function waitMidRotation(server: HttpTarget, token: string, opts: { tries: number; everyMs: number }): Promise<Record<string, unknown>> {
  let seen: Record<string, unknown> = {};
  for (let i = 0; i < opts.tries; i++) {
    seen = (await callServer(server, 'GET', ROTATION_PATH, { token })).body;
    if (seen.phase === 'reencrypting' && Number(seen.done) > 0) return seen;
    await new Promise((r) => setTimeout(r, opts.everyMs));
  }
  return seen;
}
