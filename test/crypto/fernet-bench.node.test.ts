// `npm run bench -- --only fernet` keeps working: a short smoke run (tiny
// trials; no timing thresholds, only the shape of the output), and the
// production Worker never imports bench code.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : /\.tsx?$/.test(e.name) ? [path.join(dir, e.name)] : [],
  );
}

describe('fernet benchmark', () => {
  it('src/ never imports bench code, so /__bench routes exist only in the bench Worker', () => {
    const offenders = sourceFiles(path.join(ROOT, 'src')).filter((f) => /from\s+['"][^'"]*\bbench\//.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
    expect(readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8')).toMatch(/^main\s*=\s*"src\/index\.ts"/m);
  });

  it('--list names the fernet section', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--list'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^fernet\t/m);
  });

  it('an unknown section is refused', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--only', 'no-such'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no such section: no-such/);
  });

  it('prints one workerd line with the required fields, and a pyca line', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--only', 'fernet', '--seconds', '0.05', '--trials', '1'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
      timeout: 110_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const workerd = lines.filter((l) => l.runtime === 'workerd');
    expect(workerd).toHaveLength(1);
    const line = workerd[0]!;
    expect(line.section).toBe('fernet');
    expect(line.payload_bytes).toBe(94);
    for (const f of ['encrypt_ops_s', 'decrypt_ops_s', 'rotate_ops_s']) {
      expect(typeof line[f], f).toBe('number');
      expect(line[f] as number, f).toBeGreaterThan(0);
    }
    expect(line.timing).toBe('workerd-clock');
    const pyca = lines.find((l) => l.runtime === 'python-cryptography');
    expect(pyca, 'python3 with cryptography should be on every machine').toBeDefined();
    expect(pyca!.payload_bytes).toBe(94);
    expect(lines).toHaveLength(2);
  }, 120_000);
});
