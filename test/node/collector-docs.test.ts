// The TypeScript collector shown in docs/api/pool.md and the README is
// test/pool/collector-example.ts, which test/pool/collector-example.test.ts runs
// in workerd: both copies must equal the tested file, byte for byte.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (p: string) => readFileSync(path.join(ROOT, p), 'utf8');

function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('the documented TypeScript collector is the tested one', () => {
  const example = read('test/pool/collector-example.ts');

  it('docs/api/pool.md shows test/pool/collector-example.ts verbatim', () => {
    expect(tsBlocks(read('docs/api/pool.md'))).toContain(example);
  });

  it('README\'s "For collectors" section shows it verbatim, as its only TypeScript block', () => {
    const section = read('README.md').split('\n## For collectors\n')[1]!.split('\n## ')[0]!;
    expect(tsBlocks(section)).toEqual([example]);
  });

  it('imports the published types by their package path', () => {
    expect(example).toMatch(/^import type \{[^}]*PoolService[^}]*\} from 'arena-vault\/pool';$/m);
    expect(JSON.parse(read('package.json')).exports['./pool']).toEqual({ types: './src/pool/types.ts' });
  });
});
