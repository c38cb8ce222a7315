// First admin on the Deno edition (deno/bootstrap-admin.ts): the same rules
// as the wrangler script — create, promote/activate, reset only when asked,
// idempotent — against the SQLite file, hashing with the app's own hasher.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { bootstrapAdminIn, BootstrapError } from '../../selfhost/bootstrap-admin.ts';
import { openDatabase } from '../../selfhost/vault.ts';
import { verifyPassword } from '../../src/crypto/password.ts';
import { rejection, withTempDir } from './support.ts';

const PASSWORD = 'bootstrap-password-1';
type UserRow = { id: number; email: string; role: string; is_active: number; token_version: number; hashed_password: string };

async function withDb(fn: (db: Awaited<ReturnType<typeof openDatabase>>['sqlite']) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    const { sqlite } = await openDatabase(join(dir, 'vault.sqlite'));
    try {
      await fn(sqlite);
    } finally {
      sqlite.close();
    }
  });
}

const user = (db: Awaited<ReturnType<typeof openDatabase>>['sqlite'], email: string) =>
  db.prepare('SELECT * FROM users WHERE email = ?').get(email) as UserRow | undefined;

Deno.test('bootstrap-admin: creates an active admin with a verifiable hash, then changes nothing on a second run', async () => {
  await withDb(async (db) => {
    let asked = 0;
    const password = async () => {
      asked++;
      return PASSWORD;
    };
    assert.equal(await bootstrapAdminIn(db, { email: ' First@Example.TEST ', password }), 'created');
    const row = user(db, 'first@example.test')!;
    assert.equal(row.role, 'admin');
    assert.equal(row.is_active, 1);
    assert.ok(!row.hashed_password.includes(PASSWORD));
    assert.equal(await verifyPassword(PASSWORD, row.hashed_password), true);
    assert.equal(await bootstrapAdminIn(db, { email: 'first@example.test', password }), 'unchanged');
    assert.equal(asked, 1, 'the password is not even asked for when nothing changes');
    const audit = db.prepare("SELECT detail FROM audit_events WHERE action = 'user.bootstrap_admin'").all() as { detail: string }[];
    assert.equal(audit.length, 1);
    assert.ok(!audit[0]!.detail.includes(PASSWORD));
  });
});

Deno.test('bootstrap-admin: promotes and activates an existing user, ending their sessions; resets the password only when asked', async () => {
  await withDb(async (db) => {
    db.prepare(
      "INSERT INTO users (email, hashed_password, role, is_active, token_version, created_at, updated_at) VALUES ('r@example.test', 'x', 'researcher', 0, 2, 1, 1)",
    ).run();
    assert.equal(await bootstrapAdminIn(db, { email: 'r@example.test', password: async () => PASSWORD }), 'promoted');
    let row = user(db, 'r@example.test')!;
    assert.deepEqual([row.role, row.is_active, row.token_version, row.hashed_password], ['admin', 1, 3, 'x']);
    assert.equal(await bootstrapAdminIn(db, { email: 'r@example.test', password: async () => PASSWORD, resetPassword: true }), 'password_reset');
    row = user(db, 'r@example.test')!;
    assert.equal(await verifyPassword(PASSWORD, row.hashed_password), true);
    assert.equal(row.token_version, 4);
  });
});

Deno.test('bootstrap-admin: --if-no-admin, a bad email and a short password leave the database untouched', async () => {
  await withDb(async (db) => {
    await bootstrapAdminIn(db, { email: 'a@example.test', password: async () => PASSWORD });
    assert.equal(await bootstrapAdminIn(db, { email: 'b@example.test', password: async () => PASSWORD, ifNoAdmin: true }), 'admin_exists');
    assert.equal(user(db, 'b@example.test'), undefined);
    assert.ok((await rejection(() => bootstrapAdminIn(db, { email: 'not-an-email', password: async () => PASSWORD }))) instanceof BootstrapError);
    const short = await rejection(() => bootstrapAdminIn(db, { email: 'c@example.test', password: async () => 'x' }));
    assert.ok(short instanceof BootstrapError && /at least/.test(short.message));
    assert.equal(user(db, 'c@example.test'), undefined);
  });
});
