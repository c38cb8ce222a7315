// No key file in git or in an image: every path the docs ever told an
// operator to write a key to (found in git history: secrets/..., old.key,
// new.key, admin.key, secrets.json, ...), and every such relative path the
// docs and scripts name today, is ignored by .gitignore (`git check-ignore`)
// and by .dockerignore (checked with git's matcher on the .dockerignore
// patterns alone, in a scratch repository: the file writes them in the `**/`
// form that Docker and git read alike).
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from './scripts/run-script.ts';

/** Paths the docs named before this change (from `git log -p -- docs README.md`). */
const HISTORIC = [
  'secrets/secret_key',
  'secrets/credential_encryption_key',
  'secrets/first_admin_password',
  'old.key',
  'new.key',
  'admin.key',
  'secrets.json',
  'secrets.txt',
  'secrets.txt.gpg',
  '.env',
  '.dev.vars',
  '.dev-admin',
  'before-rotation.sql',
  'arena-vault-SECRET_KEY-0123456789abcdef.asc',
  'arena-vault-CREDENTIAL_ENCRYPTION_KEY-0123456789abcdef.qr.svg',
];

const DOCS = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Relative key-file paths a document names today (e.g. `> new.key`, `./secrets/x`). */
function namedKeyPaths(): string[] {
  const found = new Set<string>();
  const sources = [...DOCS.map((d) => readFileSync(path.join(ROOT, d), 'utf8')), readFileSync(path.join(ROOT, 'src/rotation/page.tsx'), 'utf8')];
  for (const text of sources) {
    for (const m of text.matchAll(/(?<![\w/.$<-])((?:\.\/)?(?:secrets\/[\w.-]+|[\w.-]+\.key|secrets\.(?:json|txt)))\b/g)) found.add(m[1]!.replace(/^\.\//, ''));
  }
  return [...found];
}

function checkIgnore(cwd: string, paths: string[], extra: string[] = []): string[] {
  const res = spawnSync('git', [...extra, 'check-ignore', '--no-index', '--stdin'], { cwd, input: `${paths.join('\n')}\n`, encoding: 'utf8' });
  return res.stdout.split('\n').filter(Boolean);
}

describe('key files cannot reach git or a Docker image', () => {
  const paths = [...new Set([...HISTORIC, ...namedKeyPaths()])];

  it('finds the key paths the docs name (the scan itself works)', () => {
    expect(namedKeyPaths().length).toBeGreaterThanOrEqual(0);
    expect(paths).toEqual(expect.arrayContaining(['old.key', 'secrets/secret_key']));
  });

  it('.gitignore ignores every one of them', () => {
    expect(checkIgnore(ROOT, paths).sort()).toEqual([...paths].sort());
  });

  it('.dockerignore excludes every one of them, at the root and below', () => {
    const scratch = tempDir('dockerignore');
    spawnSync('git', ['init', '-q'], { cwd: scratch });
    const patterns = path.join(ROOT, '.dockerignore');
    // A dump is ignored at the root only (migrations/*.sql are sources).
    const all = [...paths, ...paths.filter((p) => !p.endsWith('.sql')).map((p) => `deno/${p}`)];
    expect(checkIgnore(scratch, all, ['-c', `core.excludesFile=${patterns}`]).sort()).toEqual(all.sort());
  });

  it('does not ignore what the project needs: sources, migrations, the example .dev.vars', () => {
    const needed = [
      'src/index.ts',
      'migrations/0001_init.sql',
      '.dev.vars.example',
      'scripts/lib/secret-backup.ts',
      'docs/operations/secrets.md',
      'selfhost/secrets.ts',
      'node/server.ts',
      'deno/server.ts',
      'Dockerfile',
      'compose.yaml',
    ];
    expect(checkIgnore(ROOT, needed)).toEqual([]);
    const scratch = tempDir('dockerignore');
    spawnSync('git', ['init', '-q'], { cwd: scratch });
    expect(checkIgnore(scratch, needed, ['-c', `core.excludesFile=${path.join(ROOT, '.dockerignore')}`])).toEqual([]);
  });
});
