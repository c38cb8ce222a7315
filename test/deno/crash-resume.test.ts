// The rotation on the Deno edition survives a crash: SIGKILL the server in
// the middle of re-encrypting thousands of rows, start it again, and the
// KeyRotation object resumes from its checkpoint (its alarm is re-armed at
// start) and finishes; every row then opens under the new key to exactly its
// original fields, none lost or duplicated.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { Fernet } from '../../src/crypto/fernet.ts';
import { bootstrapAdmin, callServer, secretsInFiles, startServer } from './server-process.ts';
import { withTempDir } from './support.ts';

const ROWS = 2000;
const ROTATION_PATH = '/api/admin/rotations/credential-key';

/** Old-key rows written straight into SQLite (as an import would), each with a distinct payload. */
async function seedRows(databasePath: string, key: string): Promise<void> {
  const f = await Fernet.fromKey(key);
  const tokens = await Promise.all(Array.from({ length: ROWS }, (_, i) => f.encrypt(JSON.stringify({ api_key: `row-${i}-secret` }))));
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

Deno.test({
  name: 'crash: SIGKILL during re-encryption, restart, the rotation resumes and every row is intact under the new key',
  sanitizeResources: false,
  fn: async () => {
    await withTempDir(async (dir) => {
      const { paths, oldKey, newKey, base, installRing } = await secretsInFiles(dir);

      let server = await startServer(base);
      await bootstrapAdmin(paths.database, 'crash-admin@example.test', 'crash-admin-password-1');
      const login = await callServer(server, 'POST', '/api/auth/login', { json: { email: 'crash-admin@example.test', password: 'crash-admin-password-1' } });
      const token = String(login.body.access_token);
      await seedRows(paths.database, oldKey);
      await server.stop();

      const ring = await installRing();
      server = await startServer(ring);
      try {
        const started = await callServer(server, 'POST', ROTATION_PATH, { token, json: { batch_size: 4 } });
        assert.equal(started.status, 202, JSON.stringify(started.body));
        let seen: Record<string, unknown> = {};
        for (let i = 0; i < 2000; i++) {
          seen = (await callServer(server, 'GET', ROTATION_PATH, { token })).body;
          if (seen.phase === 'reencrypting' && Number(seen.done) > 0) break;
          await new Promise((r) => setTimeout(r, 5));
        }
        assert.equal(seen.phase, 'reencrypting', `caught mid-rotation: ${JSON.stringify(seen)}`);
        assert.ok(Number(seen.done) < ROWS, 'killed before the end');
      } finally {
        const status = await server.stop('SIGKILL');
        assert.equal(status.success, false, 'the server was killed, not stopped');
      }

      server = await startServer(ring);
      try {
        assert.match(server.output(), /resumed \d+ scheduled object alarm/);
        let final: Record<string, unknown> = {};
        for (let i = 0; i < 3000; i++) {
          final = (await callServer(server, 'GET', ROTATION_PATH, { token })).body;
          if (['done', 'failed', 'aborted'].includes(String(final.phase)) && final.locked === false) break;
          await new Promise((r) => setTimeout(r, 20));
        }
        assert.equal(final.phase, 'done', JSON.stringify(final));
        assert.equal(Number(final.done) + Number(final.skipped), ROWS, JSON.stringify(final));
      } finally {
        await server.stop();
      }

      const f = await Fernet.fromKey(newKey);
      const db = new DatabaseSync(paths.database);
      const rows = db.prepare('SELECT credential_name, encrypted_value, key_id FROM api_credentials ORDER BY id').all() as {
        credential_name: string;
        encrypted_value: string;
        key_id: string;
      }[];
      db.close();
      assert.equal(rows.length, ROWS);
      for (const r of rows) {
        assert.equal(r.key_id, f.keyId);
        const i = Number(r.credential_name.split(' ')[1]);
        assert.deepEqual(JSON.parse(new TextDecoder().decode(await f.decrypt(r.encrypted_value))), { api_key: `row-${i}-secret` });
      }
      assert.equal(new Set(rows.map((r) => r.credential_name)).size, ROWS);
    });
  },
});
