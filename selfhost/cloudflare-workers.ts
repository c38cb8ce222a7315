/**
 * What `import … from 'cloudflare:workers'` means on the self-hosted editions
 * (deno/deno.json maps the specifier here for Deno, node/build.ts for the
 * Node bundle). The vault's Durable Object
 * classes extend `DurableObject` and its RPC class extends
 * `WorkerEntrypoint`; both only keep `ctx` and `env`, as in workerd.
 * `env` is the self-hosted server's bindings object, filled at start.
 */

/** What both base classes hold; two classes still, so `instanceof` tells them apart as in workerd. */
class WithContext<Env> {
  protected ctx: unknown;
  protected env: Env;
  constructor(ctx: unknown, env: Env) {
    this.ctx = ctx;
    this.env = env;
  }
}

export class DurableObject<Env = unknown> extends WithContext<Env> {}

export class WorkerEntrypoint<Env = unknown> extends WithContext<Env> {}

/** Marker base for objects passed by reference over RPC; in-process they simply are references. */
export class RpcTarget {}

/** The process-wide bindings (workerd's `import { env } from 'cloudflare:workers'`). */
export const env: Record<string, unknown> = {};

const pending = new Set<Promise<unknown>>();

/** Keeps a promise alive past the response; errors are logged by name only. */
export function waitUntil(promise: Promise<unknown>): void {
  const p = Promise.resolve(promise)
    .catch((e) => console.log(JSON.stringify({ level: 'error', event: 'wait_until_failed', error: e instanceof Error ? e.name : typeof e })))
    .finally(() => pending.delete(p));
  pending.add(p);
}

/** Resolves when every `waitUntil` promise so far has settled (the server awaits it on shutdown). */
export function settled(): Promise<unknown> {
  return Promise.all([...pending]);
}
