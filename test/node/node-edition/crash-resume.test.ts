// The rotation on the Node edition survives a crash, as on the Deno edition
// (test/deno/crash-resume.test.ts): SIGKILL the node process in the middle of
// re-encrypting thousands of rows, start it again, and the KeyRotation object
// resumes from its checkpoint (its alarm is re-armed at start) and finishes;
// every row then opens under the new key to exactly its original fields, none
// lost or duplicated.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  assertRowsUnderKey,
  bootstrapAdmin,
  callServer,
  ROTATION_PATH,
  secretsInFiles,
  seedOldKeyRows,
  waitForRotation,
  waitMidRotation,
} from '../../support/selfhost-server.ts';
import { buildOnce, startNodeServer } from './server-process.ts';

const ROWS = 2000;

let dir: string;
beforeAll(async () => {
  await buildOnce();
  dir = mkdtempSync(join(tmpdir(), 'av-node-crash-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('SIGKILL during re-encryption, restart: the rotation resumes and every row is intact under the new key', async () => {
  const { paths, oldKey, newKey, base, installRing } = secretsInFiles(dir);

  let server = await startNodeServer(base);
  await bootstrapAdmin(paths.database, 'crash-admin@example.test', 'crash-admin-password-1');
  const login = await callServer(server, 'POST', '/api/auth/login', { json: { email: 'crash-admin@example.test', password: 'crash-admin-password-1' } });
  const token = String(login.body.access_token);
  await seedOldKeyRows(paths.database, oldKey, ROWS);
  await server.stop();

  const ring = installRing();
  server = await startNodeServer(ring);
  try {
    const started = await callServer(server, 'POST', ROTATION_PATH, { token, json: { batch_size: 4 } });
    expect(started.status, started.text).toBe(202);
    const seen = await waitMidRotation(server, token, { tries: 2000, everyMs: 5 });
    expect(seen.phase, `caught mid-rotation: ${JSON.stringify(seen)}`).toBe('reencrypting');
    expect(Number(seen.done), 'killed before the end').toBeLessThan(ROWS);
  } finally {
    expect(await server.stop('SIGKILL'), 'the server was killed, not stopped').toEqual({ code: null, signal: 'SIGKILL' });
  }

  server = await startNodeServer(ring);
  try {
    expect(server.output()).toMatch(/resumed \d+ scheduled object alarm/);
    const final = await waitForRotation(server, token, { tries: 3000, everyMs: 20 });
    expect(final.phase, JSON.stringify(final)).toBe('done');
    expect(Number(final.done) + Number(final.skipped), JSON.stringify(final)).toBe(ROWS);
  } finally {
    await server.stop();
  }

  await assertRowsUnderKey(paths.database, newKey, ROWS);
});
