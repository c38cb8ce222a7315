// The Dockerfile and compose.yaml of the Node edition, checked without a
// Docker engine (none exists on the project's machines): the image is
// multi-stage on node:24-slim and runs as a non-root user; compose.yaml holds
// the runbook's Docker Secrets example line for line; and the runtime stage's
// files, copied exactly as its COPY lines say into a directory without
// node_modules, make a working server with its secrets in *_FILE files, and
// its first-admin command works there too.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_DOCS_ASSET_PATH } from '../../../src/docs/assets.ts';
import { callServer, secretsInFiles, writeSecret } from '../../support/selfhost-server.ts';
import { ROOT } from '../../support/wrangler-dev.ts';
import { BOOTSTRAP_BUNDLE, buildOnce, runToExit, startNodeServer } from './server-process.ts';

interface Stage {
  from: string;
  name: string | null;
  /** Instructions with continuation lines joined: ['COPY', '--from=build /app/dist ./dist']. */
  steps: [string, string][];
}

/** The Dockerfile's stages (comments dropped, `\` continuations joined). */
function stages(text: string): Stage[] {
  const lines = text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const out: Stage[] = [];
  for (const line of lines) {
    const [, op, rest] = /^(\w+)\s+(.*)$/.exec(line)!;
    if (op!.toUpperCase() === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest!)!;
      out.push({ from: from!, name: name ?? null, steps: [] });
    } else out.at(-1)!.steps.push([op!.toUpperCase(), rest!]);
  }
  return out;
}

/** Non-comment lines without trailing comments, blank lines dropped. */
const yamlLines = (text: string) =>
  text
    .split('\n')
    .map((l) =>
      l
        .replace(/\s+#.*$/, '')
        .replace(/^\s*#.*$/, '')
        .trimEnd(),
    )
    .filter((l) => l.trim() !== '');

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const all = stages(dockerfile);
const runtime = all.at(-1)!;

describe('Dockerfile', () => {
  it('is multi-stage on node:24-slim, and only the last stage is the image', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const s of all) expect(s.from).toBe('node:24-slim');
    expect(all[0]!.name).toBe('build');
    const copies = runtime.steps.filter(([op]) => op === 'COPY').map(([, args]) => args);
    expect(copies.length).toBeGreaterThan(0);
    for (const c of copies) expect(c, 'the runtime stage copies only build outputs, not the context').toMatch(/^--from=build\s/);
  });

  it('runs the server as a non-root user, set before CMD', () => {
    const users = runtime.steps.filter(([op]) => op === 'USER').map(([, who]) => who.split(':')[0]);
    expect(users.length).toBeGreaterThan(0);
    expect(['root', '0']).not.toContain(users.at(-1));
    const ops = runtime.steps.map(([op]) => op);
    expect(ops.lastIndexOf('USER')).toBeLessThan(ops.lastIndexOf('CMD'));
    const cmd = JSON.parse(runtime.steps.filter(([op]) => op === 'CMD').at(-1)![1]) as string[];
    expect(cmd[0]).toBe('node');
    expect(cmd.at(-1)).toBe('dist/node-server.mjs');
  });

  it('the runtime stage, as copied, serves the vault without node_modules and with its secrets in files', async () => {
    await buildOnce();
    const docs = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-api-docs-assets.ts'], { cwd: ROOT, encoding: 'utf8' });
    expect(docs.status, docs.stderr).toBe(0);

    const app = mkdtempSync(join(tmpdir(), 'av-node-image-'));
    try {
      const workdir = runtime.steps.filter(([op]) => op === 'WORKDIR').at(-1)![1];
      const buildWorkdir = all[0]!.steps.find(([op]) => op === 'WORKDIR')![1];
      for (const [op, args] of runtime.steps) {
        if (op !== 'COPY') continue;
        const [from, to] = args.split(/\s+/).filter((a) => !a.startsWith('--'));
        // The build stage holds the context at its WORKDIR: /app/X there is X here.
        expect(from!.startsWith(`${buildWorkdir}/`), from).toBe(true);
        cpSync(join(ROOT, from!.slice(buildWorkdir.length + 1)), join(app, to!.replace(/^\.\//, '')), { recursive: true });
      }
      expect(existsSync(join(app, 'node_modules'))).toBe(false);
      expect(workdir).toBe(buildWorkdir);

      const { base } = secretsInFiles(join(app, 'run'));
      const database = join(app, 'data', 'arena-vault.sqlite');
      const server = await startNodeServer({ ...base, DATABASE_PATH: database }, { cwd: app });
      try {
        expect(server.output()).toMatch(/applied migrations: 0001_init\.sql/);
        expect((await callServer(server, 'GET', '/api/health')).status).toBe(200);
        expect((await callServer(server, 'GET', '/login')).status).toBe(200);
        // The image's first-admin command (docs/node.md: `docker exec … node dist/node-bootstrap-admin.mjs`).
        const admin = { email: 'image-admin@example.test', password: `pw-${crypto.randomUUID()}` };
        writeSecret(join(app, 'run', 'first_admin_password'), admin.password);
        const boot = await runToExit(
          { DATABASE_PATH: database, FIRST_ADMIN_EMAIL: admin.email, FIRST_ADMIN_PASSWORD_FILE: join(app, 'run', 'first_admin_password') },
          { script: BOOTSTRAP_BUNDLE, spawn: { cwd: app } },
        );
        expect(boot.code, boot.output).toBe(0);
        expect((await callServer(server, 'POST', '/api/auth/login', { json: admin })).status).toBe(200);
        const asset = await fetch(`${server.baseUrl}${API_DOCS_ASSET_PATH}/init.js`);
        expect(asset.status).toBe(200);
        expect(asset.headers.get('content-type')).toContain('javascript');
      } finally {
        await server.stop();
      }
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });
});

describe('compose.yaml', () => {
  const compose = readFileSync(join(ROOT, 'compose.yaml'), 'utf8');

  it("holds the runbook's Docker Secrets example line for line, in order", () => {
    const runbook = yamlLines(readFileSync(join(ROOT, 'test/fixtures/runbook/docker-secrets-compose.yaml'), 'utf8'));
    expect(runbook).toContain('      SECRET_KEY_FILE: /run/secrets/secret_key');
    const ours = yamlLines(compose);
    let at = 0;
    for (const line of runbook) {
      const found = ours.indexOf(line, at);
      expect(found, `compose.yaml lacks, or has out of order: ${line}`).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
  });

  it('every *_FILE points at /run/secrets/<a secret the service mounts>, and each is declared external', () => {
    const files = [...compose.matchAll(/^\s+(\w+)_FILE: \/run\/secrets\/(\w+)$/gm)].map((m) => [m[1]!, m[2]!]);
    expect(files).toEqual([
      ['SECRET_KEY', 'secret_key'],
      ['CREDENTIAL_ENCRYPTION_KEY', 'credential_encryption_key'],
    ]);
    for (const [, secret] of files) {
      expect(compose).toMatch(new RegExp(`^  ${secret}:\\n    external: true$`, 'm'));
      expect(compose).toMatch(new RegExp(`^      - ${secret}$`, 'm'));
    }
    expect(compose, 'the database lives on the volume the image prepares').toMatch(/DATABASE_PATH: \/data\//);
  });
});
