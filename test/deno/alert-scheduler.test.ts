// The Deno edition runs the alert checks on its own timer (selfhost/scheduler.ts,
// shared with the Node edition): with ALERT_CHECK_INTERVAL_SECONDS=1 a lost_key
// alert opens with nobody calling POST /api/alerts/check, and SIGTERM still
// stops the server cleanly.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { seedOldKeyRows } from '../support/selfhost-server.ts';
import { secretsInFiles, startServer } from './server-process.ts';
import { withTempDir } from './support.ts';

Deno.test('the Deno server runs the alert checks on its own timer', async () => {
  await withTempDir(async (dir) => {
    const { paths, newKey, base } = secretsInFiles(dir);
    const server = await startServer({ ...base, ALERT_CHECK_INTERVAL_SECONDS: '1' });
    let open: { kind: string }[] = [];
    try {
      assert.match(server.output(), /alert checks: every 1 s \(ALERT_CHECK_INTERVAL_SECONDS\)/);
      // A row under a key the server's ring does not hold: lost_key, once a check runs.
      await seedOldKeyRows(paths.database, newKey, 1);
      const db = new DatabaseSync(paths.database);
      try {
        for (let i = 0; i < 200 && !open.some((a) => a.kind === 'lost_key'); i++) {
          await new Promise((r) => setTimeout(r, 100));
          open = db.prepare('SELECT kind FROM alerts WHERE resolved_at IS NULL').all() as { kind: string }[];
        }
      } finally {
        db.close();
      }
    } finally {
      const status = await server.stop('SIGTERM');
      assert.equal(status.code, 0, server.output());
    }
    assert.ok(
      open.some((a) => a.kind === 'lost_key'),
      server.output(),
    );
    assert.doesNotMatch(server.output(), /scheduler\.run_failed/);
  });
});
