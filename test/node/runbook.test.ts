// The runbook is executable knowledge: every `npm run X`, `node --import tsx
// scripts/...`, `scripts/...` and `wrangler ...` command in
// docs/operations/secrets.md (and README.md, docs/scripts.md when present)
// must exist, and each `--flag` it uses must appear in that command's --help.
// A script another engineer has not written yet makes this test fail: that is
// the point, the doc must not promise it.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkCommand, extractCommands, type DocCommand } from './scripts/doc-commands.ts';
import { ROOT } from './scripts/run-script.ts';

const DOCS = ['docs/operations/secrets.md', 'README.md', 'docs/scripts.md'].filter(
  (doc) => doc === 'docs/operations/secrets.md' || existsSync(path.join(ROOT, doc)),
);

const commands: [string, DocCommand][] = DOCS.flatMap((doc) =>
  extractCommands(readFileSync(path.join(ROOT, doc), 'utf8')).map((c) => [`${doc}: ${c.text}`, c] as [string, DocCommand]),
);

describe('commands in the docs are real', () => {
  it('finds the runbook commands it is meant to check', () => {
    const runbook = extractCommands(readFileSync(path.join(ROOT, 'docs/operations/secrets.md'), 'utf8'));
    const targets = new Set(runbook.map((c) => `${c.kind} ${c.target}`));
    for (const t of [
      'npm generate-keys',
      'npm backup-secrets',
      'npm verify-backup',
      'wrangler secret put',
      'wrangler secret bulk',
      'wrangler d1 time-travel info',
      'wrangler d1 time-travel restore',
    ]) {
      expect(targets).toContain(t);
    }
    const backup = runbook.find((c) => c.target === 'backup-secrets' && c.flags.includes('--from'));
    expect(backup?.flags).toEqual(expect.arrayContaining(['--from', '--out']));
  });

  it.each(commands)('%s', (_name, command) => {
    expect(checkCommand(command)).toEqual([]);
  });
});

describe('the checker itself', () => {
  const sample = [
    '```sh',
    'npm run no-such-script',
    'npm run -s generate-keys -- --only secret-key --no-such-flag',
    'node --import tsx scripts/no-such-script.ts --help',
    'npx wrangler secret frobnicate',
    'npx wrangler d1 time-travel restore DB --no-such-option',
    'gpg --decrypt x.asc | npx wrangler secret put SECRET_KEY',
    '```',
    'Prose with `scripts/missing-too.ts` and `npm run verify-backup -- FILE --url URL`, placeholder `npm run NAME -- ARGS`.',
  ].join('\n');
  const found = extractCommands(sample);
  const problems = (target: string) => found.filter((c) => c.target === target).flatMap(checkCommand);

  it('extracts every command form, with its flags, and skips placeholders', () => {
    expect(found.map((c) => `${c.kind} ${c.target} ${c.flags.join(',')}`.trim()).sort()).toEqual(
      [
        'npm no-such-script',
        'npm generate-keys --only,--no-such-flag',
        'node scripts/no-such-script.ts --help',
        'wrangler secret frobnicate',
        'wrangler d1 time-travel restore --no-such-option',
        'wrangler secret put',
        'path scripts/missing-too.ts',
        'npm verify-backup --url',
      ].sort(),
    );
  });

  it('fails a missing npm script, a missing file, an unknown flag and an unknown wrangler command', () => {
    expect(problems('no-such-script')).toEqual([expect.stringMatching(/package.json has no script "no-such-script"/)]);
    expect(problems('generate-keys')).toEqual([expect.stringMatching(/does not mention --no-such-flag/)]);
    expect(problems('scripts/no-such-script.ts')).toEqual(expect.arrayContaining([expect.stringMatching(/does not exist/)]));
    expect(problems('scripts/missing-too.ts')).toEqual([expect.stringMatching(/does not exist/)]);
    expect(problems('secret frobnicate')).toEqual([expect.stringMatching(/is not a wrangler command/)]);
    expect(problems('d1 time-travel restore')).toEqual([expect.stringMatching(/does not mention --no-such-option/)]);
  });

  it('passes real commands', () => {
    expect(problems('secret put')).toEqual([]);
    expect(problems('verify-backup')).toEqual([]);
  });
});
