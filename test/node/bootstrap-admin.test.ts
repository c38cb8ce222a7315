// scripts/bootstrap-admin.ts against a real local D1 (wrangler, temp --persist-to):
// creates, promotes, resets only when asked, is idempotent, never prints the password.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { d1ApplyMigrations, d1Execute } from '../../scripts/lib/wrangler.ts';
import { hashPassword, verifyPassword } from '../../src/crypto/password.ts';

const dirs: string[] = [];
let dir: string;

function freshDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'arena-vault-bootstrap-'));
  dirs.push(d);
  return d;
}

function run(args: string[], env: Record<string, string | undefined> = {}, input = '') {
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bootstrap-admin.ts', ...args], {
    encoding: 'utf8',
    input,
    env: { ...process.env, FIRST_ADMIN_EMAIL: undefined, FIRST_ADMIN_PASSWORD: undefined, WRANGLER_SEND_METRICS: 'false', ...env },
  });
  return { code: res.status, out: `${res.stdout}\n${res.stderr}`, stdout: res.stdout };
}

type Row = { id: number; email: string; role: string; is_active: number; token_version: number; hashed_password: string; updated_at: number };
const users = (d = dir) => d1Execute<Row>('SELECT * FROM users ORDER BY id;', { persistTo: d })[0]!;
const audit = (d = dir) =>
  d1Execute<{ action: string; detail: string }>("SELECT action, detail FROM audit_events WHERE actor = 'script:bootstrap-admin' ORDER BY id;", {
    persistTo: d,
  })[0]!;

beforeAll(() => {
  dir = freshDir();
  d1ApplyMigrations({ persistTo: dir });
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('bootstrap-admin', () => {
  const password = `canary-first-admin-${Math.random().toString(36).slice(2)}`;

  it('--help names every flag', () => {
    const r = run(['--help']);
    expect(r.code).toBe(0);
    for (const flag of ['--remote', '--persist-to', '--reset-password', '--if-no-admin', '--display-name', 'FIRST_ADMIN_EMAIL', 'FIRST_ADMIN_PASSWORD'])
      expect(r.stdout).toContain(flag);
  });

  it('creates an active admin whose hash the Worker code verifies; is idempotent; never prints the password', async () => {
    const env = { FIRST_ADMIN_EMAIL: 'First.Admin@Example.org', FIRST_ADMIN_PASSWORD: password };
    const first = run(['--persist-to', dir], env);
    expect(first.code).toBe(0);
    expect(first.out).toContain('Created the admin first.admin@example.org');
    expect(first.out).toContain('/login');
    expect(first.out).not.toContain(password);
    const [row] = users();
    expect(row).toMatchObject({ email: 'first.admin@example.org', role: 'admin', is_active: 1, token_version: 0 });
    expect(row!.hashed_password).toMatch(/^scrypt\$/);
    expect(await verifyPassword(password, row!.hashed_password)).toBe(true);

    const second = run(['--persist-to', dir], { ...env, FIRST_ADMIN_PASSWORD: `${password}-other` });
    expect(second.code).toBe(0);
    expect(second.out).toContain('already an active admin');
    expect(second.out).toContain('--reset-password');
    expect(second.out).not.toContain(password);
    expect(users()).toEqual([row]);
    expect(audit().map((a) => a.detail)).toEqual(['{"outcome":"created"}']);
    expect(JSON.stringify(audit())).not.toContain(password);
  });

  it('changes the password only with --reset-password (and ends sessions)', async () => {
    const next = `canary-reset-${Math.random().toString(36).slice(2)}`;
    const r = run(['--persist-to', dir, '--reset-password'], { FIRST_ADMIN_EMAIL: 'first.admin@example.org', FIRST_ADMIN_PASSWORD: next });
    expect(r.code).toBe(0);
    expect(r.out).not.toContain(next);
    const [row] = users();
    expect(await verifyPassword(next, row!.hashed_password)).toBe(true);
    expect(await verifyPassword(password, row!.hashed_password)).toBe(false);
    expect(row!.token_version).toBe(1);
  });

  it('promotes and activates an existing researcher, keeping their password', async () => {
    const keep = `canary-keep-${Math.random().toString(36).slice(2)}`;
    const hash = await hashPassword(keep);
    d1Execute(
      `INSERT INTO users (email, hashed_password, display_name, role, is_active, token_version, created_at, updated_at) VALUES ('res@example.org', '${hash}', 'R', 'researcher', 0, 3, 1, 1);`,
      { persistTo: dir },
    );
    const r = run(['--persist-to', dir], { FIRST_ADMIN_EMAIL: 'RES@example.org', FIRST_ADMIN_PASSWORD: 'canary-unused-password' });
    expect(r.code).toBe(0);
    expect(r.out).toContain('res@example.org is now an active admin');
    expect(r.out).not.toContain('canary-unused-password');
    const row = users().find((u) => u.email === 'res@example.org')!;
    expect(row).toMatchObject({ role: 'admin', is_active: 1, token_version: 4, hashed_password: hash });
    expect(run(['--persist-to', dir], { FIRST_ADMIN_EMAIL: 'res@example.org' }).out).toContain('nothing changed');
  });

  it('reads email and password from prompts when the environment has none (stdin, no echo)', async () => {
    const typed = `canary-typed-${Math.random().toString(36).slice(2)}`;
    const r = run(['--persist-to', dir], {}, `typed@example.org\n${typed}\n`);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain(typed);
    const row = users().find((u) => u.email === 'typed@example.org')!;
    expect(await verifyPassword(typed, row.hashed_password)).toBe(true);
  });

  it('--if-no-admin does nothing when an active admin exists, and creates one when none does', () => {
    const r = run(['--persist-to', dir, '--if-no-admin'], { FIRST_ADMIN_EMAIL: 'second@example.org', FIRST_ADMIN_PASSWORD: 'another long password' });
    expect(r.code).toBe(0);
    expect(r.out).toContain('nothing to do');
    expect(users().some((u) => u.email === 'second@example.org')).toBe(false);
    const empty = freshDir();
    d1ApplyMigrations({ persistTo: empty });
    const created = run(['--persist-to', empty, '--if-no-admin'], { FIRST_ADMIN_EMAIL: 'second@example.org', FIRST_ADMIN_PASSWORD: 'another long password' });
    expect(created.code).toBe(0);
    expect(users(empty).map((u) => u.email)).toEqual(['second@example.org']);
  });

  it('refuses bad input with one clear line and a non-zero exit, changing nothing', () => {
    const before = users();
    const cases = [
      run(['--persist-to', dir], { FIRST_ADMIN_EMAIL: 'not-an-email', FIRST_ADMIN_PASSWORD: 'a long enough password' }),
      run(['--persist-to', dir], { FIRST_ADMIN_EMAIL: 'weak@example.org', FIRST_ADMIN_PASSWORD: 'canary-sh' }),
      run(['--persist-to', dir, '--remote']),
      run(['--persist-to', dir, '--bogus']),
    ];
    for (const c of cases) {
      expect(c.code).not.toBe(0);
      expect(
        c.out
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('bootstrap-admin:')),
      ).toHaveLength(1);
      expect(c.out).not.toContain('canary-sh');
    }
    expect(users()).toEqual(before);
    const noTables = run(['--persist-to', freshDir()], { FIRST_ADMIN_EMAIL: 'x@example.org', FIRST_ADMIN_PASSWORD: 'a long enough password' });
    expect(noTables.code).not.toBe(0);
    expect(noTables.out).toContain('apply the migrations first');
  });
});
