/**
 * Prints a V8 CPU profile (DevTools `Profiler.stop`) as three tables: self
 * time, inclusive time and, for the named functions, the call chains into
 * them. Used by `npm run bench:profile` and by the rotation section's
 * BENCH_ROTATION_PROFILE=1.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function report(profile: Profile, source: string[], top: number, callers: string[], out: (line: string) => void = console.log): void {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  for (const [i, s] of profile.samples.entries()) self.set(s, (self.get(s) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const keyOf = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
  const line = (key: string, t: number) => {
    const at = Number(key.split(':').pop());
    const text = key.includes('worker.js') ? (source[at] ?? '').trim().slice(0, 100) : '';
    return `${((t / total) * 100).toFixed(1).padStart(5)}%  ${key}  ${text}`;
  };
  const print = (title: string, m: Map<string, number>) => {
    out(`--- ${title}`);
    for (const [k, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) out(line(k, t));
  };

  const selfByFn = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [nodeId, t] of self) {
    const k = keyOf(byId.get(nodeId)!);
    selfByFn.set(k, (selfByFn.get(k) ?? 0) + t);
    const seen = new Set<string>(); // a function counted once per stack
    for (let cur: number | undefined = nodeId; cur !== undefined; cur = parent.get(cur)) {
      const ck = keyOf(byId.get(cur)!);
      if (seen.has(ck)) continue;
      seen.add(ck);
      inclusive.set(ck, (inclusive.get(ck) ?? 0) + t);
    }
  }
  print('self time', selfByFn);
  print('inclusive time', inclusive);
  for (const fn of callers) {
    const chains = new Map<string, number>();
    for (const n of profile.nodes.filter((x) => x.callFrame.functionName === fn)) {
      let t = 0;
      for (const stack = [n.id]; stack.length; ) {
        const x = stack.pop()!;
        t += self.get(x) ?? 0;
        stack.push(...(byId.get(x)!.children ?? []));
      }
      const chain: string[] = [];
      for (let p = parent.get(n.id); p !== undefined && chain.length < 4; p = parent.get(p)) chain.push(keyOf(byId.get(p)!));
      chains.set(chain.join(' <- '), (chains.get(chain.join(' <- ')) ?? 0) + t);
    }
    out(`--- callers of ${fn}`);
    for (const [k, t] of [...chains].sort((a, b) => b[1] - a[1]).slice(0, 5)) out(`${((t / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  }
}
