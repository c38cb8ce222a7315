// `npm ci --omit=dev` (a production install: no vitest, typescript, playwright,
// miniflare …) leaves every operator script working. A scratch copy of the
// project without test/ and bench/ gets a fresh production install, then every
// package.json script that is not a developer tool (test*, typecheck, bench)
// is run: the Node scripts with --help (and generate-keys for real), wrangler
// for real (migrations on a local D1) and with --help, the Deno edition
// through its permission sets, the Node edition through its bundle. A new script must be covered here (the last
// test fails on one it does not know).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/wrangler-dev.ts';

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
// Developer tools run from dev dependencies (vitest, tsc, Biome, the benchmarks), not operator scripts.
// `types` regenerates worker-configuration.d.ts with wrangler (a developer's step; typecheck runs its --check).
const DEVELOPER_TOOL = /^(test|typecheck|types|lint|format|bench)(:|$)/;
const operatorScripts = Object.keys(pkg.scripts).filter((name) => !DEVELOPER_TOOL.test(name));

let dir: string;
// The child npm must not inherit this run's npm settings (npm_config_* from `npm test`).
const env = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

function run(cmd: string, args: string[], extraEnv: Record<string, string> = {}) {
  const res = spawnSync(cmd, args, {
    cwd: dir,
    encoding: 'utf8',
    env: { ...env(), WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', CI: '1', ...extraEnv },
    input: '',
    maxBuffer: 64 << 20,
  });
  return { code: res.status, out: `${res.stdout}${res.stderr}`, stdout: res.stdout };
}
const npmRun = (name: string, args: string[] = [], extraEnv: Record<string, string> = {}) => run('npm', ['run', '-s', name, '--', ...args], extraEnv);

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'av-omit-dev-'));
  for (const name of ['package.json', 'package-lock.json', 'tsconfig.json', 'wrangler.toml', 'src', 'scripts', 'migrations', 'deno', 'selfhost', 'node']) {
    cpSync(path.join(ROOT, name), path.join(dir, name), { recursive: true });
  }
  const install = run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund']);
  if (install.code !== 0) throw new Error(`npm ci --omit=dev failed:\n${install.out}`);
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm ci --omit=dev', () => {
  it('installs the run-time dependencies (Node 24 included) and none of the dev ones', () => {
    for (const dep of Object.keys(pkg.dependencies)) expect(existsSync(path.join(dir, 'node_modules', dep, 'package.json')), dep).toBe(true);
    // (typescript is not in this list: valibot, a run-time dependency, names it as an optional peer, and npm keeps
    // a dev dependency that is some run-time dependency's peer.)
    for (const dep of ['vitest', '@playwright/test', '@cloudflare/vitest-plugin', '@noble/ciphers']) {
      expect(Object.keys(pkg.devDependencies)).toContain(dep);
      expect(existsSync(path.join(dir, 'node_modules', dep)), dep).toBe(false);
    }
    expect(run('npm', ['exec', '--', 'node', '--version']).stdout.trim()).toBe(`v${pkg.dependencies.node}`);
  });

  it('every Node operator script answers --help', () => {
    const node = operatorScripts.filter((name) => pkg.scripts[name]!.startsWith('node --import tsx scripts/'));
    expect(node).toEqual(
      expect.arrayContaining(['start', 'generate-keys', 'bootstrap-admin', 'backup-secrets', 'verify-backup', 'import-credentials', 'rotate-credential-key']),
    );
    for (const name of node) {
      const r = npmRun(name, ['--help']);
      expect(r.code, `${name} --help:\n${r.out}`).toBe(0);
      expect(r.stdout, name).toMatch(/\S/);
    }
  });

  it('generate-keys makes keys, and wrangler applies the migrations to a local D1 and knows `dev`', () => {
    const keys = npmRun('generate-keys', ['--json']);
    expect(keys.code, keys.out).toBe(0);
    expect(Object.keys(JSON.parse(keys.stdout))).toEqual(['SECRET_KEY', 'CREDENTIAL_ENCRYPTION_KEY']);

    const migrate = npmRun('db:migrate');
    expect(migrate.code, migrate.out).toBe(0);
    expect(migrate.out).toMatch(/0001_init\.sql/);
    const dev = npmRun('dev', ['--help']);
    expect(dev.code, dev.out).toBe(0);
    expect(dev.out).toMatch(/wrangler dev/);
  });

  /** An edition's first-admin command answers --help; its server loads the whole app, then, without secrets, refuses to start (exit 2), naming what to set. */
  function editionStarts(edition: 'deno' | 'node') {
    const boot = npmRun(`bootstrap-admin:${edition}`, ['--help']);
    expect(boot.code, boot.out).toBe(0);
    expect(boot.out).toContain('FIRST_ADMIN_EMAIL');
    const start = npmRun(`start:${edition}`, [], { SECRET_KEY: '', CREDENTIAL_ENCRYPTION_KEY: '' });
    expect(start.code, start.out).toBe(2);
    expect(start.out).toContain("The vault's secrets are invalid");
  }

  it('the Deno edition starts through its permission sets', () => editionStarts('deno'));

  it('the Node edition bundles (build:node) and starts', () => {
    editionStarts('node');
    expect(existsSync(path.join(dir, 'dist', 'node-server.mjs'))).toBe(true);
  });

  it('every operator script is covered by one of the checks above', () => {
    const covered = (name: string) =>
      pkg.scripts[name]!.startsWith('node --import tsx scripts/') ||
      ['dev', 'db:migrate', 'start:deno', 'bootstrap-admin:deno', 'build:node', 'start:node', 'bootstrap-admin:node'].includes(name);
    expect(operatorScripts.filter((name) => !covered(name))).toEqual([]);
  });
});
