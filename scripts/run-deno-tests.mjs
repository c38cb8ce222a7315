#!/usr/bin/env node
/**
 * `npm run test:deno`: runs the Deno suites in test/deno/ with the Deno that
 * npm installed (node_modules/.bin/deno; no global Deno needed) and the
 * import map in deno/deno.json, which points `cloudflare:workers` at the Deno
 * stand-ins and resolves npm packages from node_modules, so nothing is
 * fetched from jsr.io or deno.land.
 *
 * Usage:
 *   npm run test:deno                          # every suite, including the server smoke test
 *   npm run test:deno -- test/deno/crypto.test.ts
 *   npm run test:deno -- --filter rotation     # any `deno test` flag passes through
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const deno = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'deno.cmd' : 'deno');
if (!existsSync(deno)) {
  console.error('Deno is not installed in node_modules: run `npm ci` (the `deno` package is a devDependency).');
  process.exit(1);
}

const extra = process.argv.slice(2);
const targets = extra.some((a) => !a.startsWith('-')) ? [] : ['test/deno/'];
const args = [
  'test',
  '--no-prompt',
  // Types are checked by `tsc` (npm run typecheck); the Worker's global types
  // (D1Database, DurableObjectNamespace …) are not Deno's.
  '--no-check',
  '--config',
  'deno/deno.json',
  '--allow-read',
  '--allow-write',
  '--allow-env',
  '--allow-net',
  '--allow-run',
  '--allow-sys',
  ...extra,
  ...targets,
];

const env = { ...process.env, DENO_NO_UPDATE_CHECK: '1' };
if (!process.stdout.isTTY) env.NO_COLOR = '1';
const child = spawn(deno, args, { cwd: root, stdio: 'inherit', env });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
