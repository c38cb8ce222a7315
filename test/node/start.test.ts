// `npm start` on a fresh clone: keys into .dev.vars (never overwritten), local
// migrations, a first admin whose generated password goes to .dev-admin and
// never to the terminal. Run with --no-serve in a scratch copy of the project.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runScript, tempDir } from './scripts/run-script.ts';
import { d1Execute } from '../../scripts/lib/wrangler.ts';

let dir: string;

beforeAll(() => {
  dir = tempDir('start');
  for (const name of ['node_modules', 'src', 'scripts', 'migrations']) symlinkSync(path.join(ROOT, name), path.join(dir, name));
  for (const name of ['wrangler.toml', 'package.json']) copyFileSync(path.join(ROOT, name), path.join(dir, name));
  mkdirSync(path.join(dir, '.wrangler'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const start = (env: Record<string, string | undefined> = {}) =>
  runScript('start', ['--no-serve'], { cwd: dir, env: { FIRST_ADMIN_EMAIL: undefined, FIRST_ADMIN_PASSWORD: undefined, ...env } });

describe('npm start', () => {
  it('prints its options with --help', async () => {
    const r = await runScript('start', ['--help'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--no-serve');
    expect(r.stdout).toContain('--port');
  });

  it('on a fresh clone: generates .dev.vars, migrates, creates the first admin, prints how to log in but not the password', async () => {
    const r = await start();
    expect(r.code, r.stderr).toBe(0);
    const vars = readFileSync(path.join(dir, '.dev.vars'), 'utf8');
    expect(vars).toMatch(/^SECRET_KEY=[0-9a-f]{64}$/m);
    expect(vars).toMatch(/^CREDENTIAL_ENCRYPTION_KEY=[A-Za-z0-9_-]{43}=$/m);
    expect(statSync(path.join(dir, '.dev.vars')).mode & 0o077).toBe(0);

    const admin = readFileSync(path.join(dir, '.dev-admin'), 'utf8');
    const password = /^password=(.+)$/m.exec(admin)![1]!;
    expect(statSync(path.join(dir, '.dev-admin')).mode & 0o077).toBe(0);
    expect(r.stdout).toContain('http://127.0.0.1:8787/login');
    expect(r.stdout).toContain('admin@arena-vault.local');
    for (const secret of [password, ...vars.match(/=(\S+)$/gm)!.map((l) => l.slice(1))]) {
      expect(r.stdout + r.stderr).not.toContain(secret);
    }

    const persistTo = path.join(dir, '.wrangler', 'state');
    const [rows] = d1Execute<{ email: string; role: string; is_active: number }>('SELECT email, role, is_active FROM users', {
      persistTo,
      config: path.join(dir, 'wrangler.toml'),
    });
    expect(rows).toEqual([{ email: 'admin@arena-vault.local', role: 'admin', is_active: 1 }]);
  });

  it('a second run keeps the keys and the admin', async () => {
    const before = readFileSync(path.join(dir, '.dev.vars'), 'utf8');
    const r = await start();
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, '.dev.vars'), 'utf8')).toBe(before);
    expect(r.stdout).toContain('.dev.vars exists');
    expect(r.stdout).toContain('an admin exists already');
  });

  it('refuses a bad --port with one line and a non-zero exit', async () => {
    const r = await runScript('start', ['--port', 'eighty'], { cwd: dir });
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(path.join(dir, '.dev.vars'))).toBe(true);
  });
});
