/**
 * The product's import graph, read with TypeScript's own pre-processor
 * (`ts.preProcessFile`: static, type-only, re-export and dynamic imports),
 * over the code that ships: src/ (the Worker), scripts/, deno/ and bench/.
 * Only relative imports are edges (packages are outside the house). A file's
 * folder is its directory, e.g. `src/auth` or `scripts/lib`.
 *
 * @example
 *   const g = importGraph(ROOT);
 *   fileCycles(g);          // [] when no file reaches itself
 *   folderCycleImports(g);  // the imports that close a circle between folders
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const SCANNED = ['src', 'scripts', 'deno', 'bench'];

export interface ImportEdge {
  from: string;
  to: string;
}

export interface ImportGraph {
  files: string[];
  edges: ImportEdge[];
}

const SOURCE = /\.(tsx?|mts|m?js)$/;

function sourceFiles(root: string, dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) return e.name === 'out' || e.name === 'node_modules' ? [] : sourceFiles(root, rel);
    return SOURCE.test(e.name) && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** The repo-relative file a relative specifier names, or null (a package, or an asset that is not code). */
function resolve(root: string, from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const base = path.posix.join(path.posix.dirname(from), spec);
  for (const candidate of [base, `${base}.ts`, `${base}.tsx`, `${base}/index.ts`]) {
    const abs = path.join(root, candidate);
    if (existsSync(abs) && statSync(abs).isFile()) return SOURCE.test(candidate) ? candidate : null;
  }
  return null;
}

export function importGraph(root: string, folders = SCANNED): ImportGraph {
  const files = folders.flatMap((d) => sourceFiles(root, d));
  const edges: ImportEdge[] = [];
  for (const from of files) {
    const info = ts.preProcessFile(readFileSync(path.join(root, from), 'utf8'), true, true);
    const seen = new Set<string>();
    for (const ref of info.importedFiles) {
      const to = resolve(root, from, ref.fileName);
      if (to && to !== from && !seen.has(to)) {
        seen.add(to);
        edges.push({ from, to });
      }
    }
  }
  return { files, edges };
}

export const folderOf = (file: string) => path.posix.dirname(file);

/** Strongly connected components with more than one node (Tarjan), each sorted. */
function circles(nodes: string[], next: (n: string) => string[]): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of next(v)) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const n of nodes) if (!index.has(n)) visit(n);
  return out;
}

function adjacency(pairs: [string, string][]): (n: string) => string[] {
  const m = new Map<string, string[]>();
  for (const [a, b] of pairs) m.set(a, [...(m.get(a) ?? []), b]);
  return (n) => m.get(n) ?? [];
}

/** Groups of files that import each other through some path. */
export function fileCycles(g: ImportGraph): string[][] {
  return circles(g.files, adjacency(g.edges.map((e) => [e.from, e.to])));
}

/**
 * The file imports that close a circle between folders: an import from folder
 * A into folder B where B reaches A back through any path of folder imports.
 */
export function folderCycleImports(g: ImportGraph): ImportEdge[] {
  const between = g.edges.filter((e) => folderOf(e.from) !== folderOf(e.to));
  const folders = [...new Set(g.files.map(folderOf))];
  const sccs = circles(folders, adjacency(between.map((e) => [folderOf(e.from), folderOf(e.to)])));
  const component = new Map<string, number>();
  for (const [i, scc] of sccs.entries()) for (const f of scc) component.set(f, i);
  return between.filter((e) => {
    const a = component.get(folderOf(e.from));
    return a !== undefined && a === component.get(folderOf(e.to));
  });
}
