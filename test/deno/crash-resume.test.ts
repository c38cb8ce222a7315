// The rotation on the Deno edition survives a crash: SIGKILL the server in
// the middle of re-encrypting thousands of rows, start it again, and the
// KeyRotation object resumes from its checkpoint (its alarm is re-armed at
// start) and finishes; every row then opens under the new key to exactly its
// original fields, none lost or duplicated.
import assert from 'node:assert/strict';
import { assertRowsUnderKey, ROTATION_PATH, seedOldKeyRows, waitForRotation, waitMidRotation } from '../support/selfhost-server.ts';
import { bootstrapAdmin, callServer, secretsInFiles, startServer } from './server-process.ts';
import { withTempDir } from './support.ts';

const ROWS = 2000;

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
      await seedOldKeyRows(paths.database, oldKey, ROWS);
      await server.stop();

      const ring = await installRing();
      server = await startServer(ring);
      try {
        const started = await callServer(server, 'POST', ROTATION_PATH, { token, json: { batch_size: 4 } });
        assert.equal(started.status, 202, JSON.stringify(started.body));
        const seen = await waitMidRotation(server, token, { tries: 2000, everyMs: 5 });
        assert.equal(seen.phase, 'reencrypting', `caught mid-rotation: ${JSON.stringify(seen)}`);
        assert.ok(Number(seen.done) < ROWS, 'killed before the end');
      } finally {
        const status = await server.stop('SIGKILL');
        assert.equal(status.success, false, 'the server was killed, not stopped');
      }

      server = await startServer(ring);
      try {
        assert.match(server.output(), /resumed \d+ scheduled object alarm/);
        const final = await waitForRotation(server, token, { tries: 3000, everyMs: 20 });
        assert.equal(final.phase, 'done', JSON.stringify(final));
        assert.equal(Number(final.done) + Number(final.skipped), ROWS, JSON.stringify(final));
      } finally {
        await server.stop();
      }

      await assertRowsUnderKey(paths.database, newKey, ROWS);
    });
  },
});
