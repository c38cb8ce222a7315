// The toolchain comes from package.json, not from the machine: `npm run` and
// `npx` put node_modules/.bin first on PATH, so this suite, the scripts and
// every wrangler they spawn run on the `node` package's Node (24), even on a
// machine whose own node is 20 (where wrangler 4.87+ refuses to start).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWrangler } from '../../scripts/lib/wrangler.ts';
import { ROOT } from '../support/wrangler-dev.ts';

const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

describe('toolchain', () => {
  it('runs this suite on the Node from the `node` dependency', () => {
    expect(process.version).toBe(`v${pkg.dependencies.node}`);
    expect(process.execPath).toBe(path.join(ROOT, 'node_modules', 'node', 'bin', 'node'));
  });

  it('a wrangler spawned the way the scripts spawn it starts, at the pinned version', () => {
    expect(runWrangler(['--version'])).toContain(pkg.dependencies.wrangler);
  });

  it('pins a wrangler whose workerd supports the compatibility date in wrangler.toml', () => {
    const date = /^compatibility_date\s*=\s*"([\d-]+)"/m.exec(readFileSync(path.join(ROOT, 'wrangler.toml'), 'utf8'))![1]!;
    const workerd = readFileSync(path.join(ROOT, 'node_modules', 'workerd', 'lib', 'main.js'), 'utf8');
    const newest = /compatibilityDate = "([\d-]+)"/.exec(workerd)![1]!;
    expect(date <= newest, `compatibility_date ${date} is newer than workerd's ${newest}`).toBe(true);
  });
});
