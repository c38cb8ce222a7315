// The house's floors (docs/architecture.md): shared kernels at the bottom,
// features above them, one composition root (src/index.ts) on top. Read from
// the real import graph (TypeScript's pre-processor, test/node/import-graph.ts)
// over src/, scripts/, deno/ and bench/:
//  - no import circle between files;
//  - no circle between folders (a folder that imports another which imports
//    it back through any path);
//  - no import from a shared folder up into a feature folder.
// A file directly under src/ counts as its own unit, not as a folder: index.ts
// is the composition root (it imports every feature), errors.ts, config.ts
// and env.ts are kernels every floor reads.
import { describe, expect, it } from 'vitest';
import { fileCycles, folderCycleImports, folderOf, importGraph, type ImportEdge, type ImportGraph } from './import-graph.ts';
import { ROOT } from './scripts/run-script.ts';

/** Folders every feature may use; they import no feature. */
const SHARED = ['src/kernel', 'src/http', 'src/schema', 'src/db', 'src/crypto', 'src/ui'];
/** Kernel files at the top of src/ (see the header). */
const ROOT_KERNELS = ['src/errors.ts', 'src/config.ts', 'src/env.ts'];
const COMPOSITION_ROOT = 'src/index.ts';

/**
 * Imports from a shared folder into a feature that are allowed, each with its
 * reason. Keep it short: an entry is a debt, not a habit.
 */
const ALLOWED_UPWARD: { from: string; to: string; why: string }[] = [];

const isShared = (file: string) => SHARED.includes(folderOf(file)) || ROOT_KERNELS.includes(file);
const isFeature = (file: string) => file.startsWith('src/') && !isShared(file) && file !== COMPOSITION_ROOT;

/** The graph with each file directly under src/ in a folder of its own (see the header). */
function asUnits(g: ImportGraph): ImportGraph {
  const rename = (f: string) => (folderOf(f) === 'src' ? `${f}/_` : f);
  return { files: g.files.map(rename), edges: g.edges.map((e) => ({ from: rename(e.from), to: rename(e.to) })) };
}

const show = (edges: ImportEdge[]) => edges.map((e) => `${e.from} -> ${e.to}`);

describe('the import graph', () => {
  const graph = importGraph(ROOT);

  it('reads the whole tree (src, scripts, deno, bench) with TypeScript, type-only and dynamic imports included', () => {
    expect(graph.files).toContain(COMPOSITION_ROOT);
    expect(graph.files.some((f) => f.startsWith('scripts/'))).toBe(true);
    expect(graph.files.some((f) => f.startsWith('deno/'))).toBe(true);
    expect(graph.files.some((f) => f.startsWith('bench/'))).toBe(true);
    // A type-only import is an edge too (http/types.ts reads the Principal's type).
    expect(graph.edges).toContainEqual({ from: 'src/http/types.ts', to: 'src/kernel/principal.ts' });
  });

  it('has no circle between files', () => {
    expect(fileCycles(graph)).toEqual([]);
  });

  it('has no circle between folders', () => {
    const closing = folderCycleImports(asUnits(graph)).map((e) => ({ from: e.from.replace(/\/_$/, ''), to: e.to.replace(/\/_$/, '') }));
    expect(show(closing)).toEqual([]);
  });

  it('never imports from a shared folder up into a feature', () => {
    const upward = graph.edges.filter(
      (e) => isShared(e.from) && (isFeature(e.to) || e.to === COMPOSITION_ROOT) && !ALLOWED_UPWARD.some((a) => a.from === e.from && a.to === e.to),
    );
    expect(show(upward)).toEqual([]);
  });

  it('keeps every allow-list entry explained and still needed', () => {
    for (const a of ALLOWED_UPWARD) {
      expect(a.why.length).toBeGreaterThan(20);
      expect(graph.edges).toContainEqual({ from: a.from, to: a.to });
    }
  });

  it('catches a planted circle and a planted upward import (the checks can fail)', () => {
    const planted: ImportGraph = {
      files: ['src/http/a.ts', 'src/auth/b.ts', 'src/auth/c.ts'],
      edges: [
        { from: 'src/http/a.ts', to: 'src/auth/b.ts' },
        { from: 'src/auth/b.ts', to: 'src/auth/c.ts' },
        { from: 'src/auth/c.ts', to: 'src/auth/b.ts' },
        { from: 'src/auth/c.ts', to: 'src/http/a.ts' },
      ],
    };
    expect(fileCycles(planted)).toEqual([['src/auth/b.ts', 'src/auth/c.ts', 'src/http/a.ts']]);
    expect(show(folderCycleImports(planted))).toEqual(['src/http/a.ts -> src/auth/b.ts', 'src/auth/c.ts -> src/http/a.ts']);
    expect(planted.edges.filter((e) => isShared(e.from) && isFeature(e.to))).toHaveLength(1);
  });
});
