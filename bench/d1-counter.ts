/**
 * Bench-only: a D1 binding that counts the statements it runs, so the
 * `pool-rest` section can report `d1_queries_per_cycle`. Every executed
 * statement counts once: `first`/`all`/`run`/`raw` on a prepared statement,
 * each statement of a `batch`, and `exec`. The wrapped binding behaves as
 * the real one (statements are unwrapped before they reach `batch`).
 */
export interface D1Counter {
  queries: number;
  /** Statements run while `offRequestPath()` said so (the pool's alarm); not in `queries`. */
  offRequestPath?: number;
}

const REAL = new WeakMap<object, D1PreparedStatement>();

/** Counts `n` statements into `queries`, or into `offRequestPath` when `offPath()` says so. */
function tally(counter: D1Counter, n: number, offPath?: () => boolean): void {
  if (offPath?.()) counter.offRequestPath = (counter.offRequestPath ?? 0) + n;
  else counter.queries += n;
}

function wrapStatement(real: D1PreparedStatement, counter: D1Counter, offPath?: () => boolean): D1PreparedStatement {
  const wrapped = new Proxy(real, {
    get(target, prop) {
      if (prop === 'bind') return (...values: unknown[]) => wrapStatement(target.bind(...values), counter, offPath);
      if (prop === 'first' || prop === 'all' || prop === 'run' || prop === 'raw') {
        const fn = (target as unknown as Record<string, (...a: unknown[]) => unknown>)[prop]!;
        return (...args: unknown[]) => {
          tally(counter, 1, offPath);
          return fn.apply(target, args);
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  REAL.set(wrapped, real);
  return wrapped;
}

/** `db`, counting into `counter` (into `offRequestPath` while `offPath()` is true). */
export function countingD1(db: D1Database, counter: D1Counter, offPath?: () => boolean): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (sql: string) => wrapStatement(target.prepare(sql), counter, offPath);
      if (prop === 'batch') {
        return (statements: D1PreparedStatement[]) => {
          tally(counter, statements.length, offPath);
          return target.batch(statements.map((s) => REAL.get(s) ?? s));
        };
      }
      if (prop === 'exec') {
        return (sql: string) => {
          tally(counter, 1, offPath);
          return target.exec(sql);
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
