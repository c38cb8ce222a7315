/**
 * The V8 heap of a bench Worker's isolate (the app and its Durable Objects),
 * read through the Worker's inspector (Chrome DevTools Protocol).
 *
 * Why the inspector: workerd gives a Worker no API for its own memory
 * (`performance.memory` is absent; `node:process` memoryUsage() and `node:v8`
 * getHeapStatistics() answer zeros under nodejs_compat), and the workerd
 * process's RSS also holds everything else running in that process: the local
 * D1 simulator (its own isolate and its SQLite), other internal workers, and
 * allocator caches. Only the isolate's heap is the part that exists in
 * production, where D1 is a remote service.
 *
 * Start the Worker with `dev.inspector: { hostname: '127.0.0.1', port: 0 }`,
 * then `WorkerHeap.connect(await worker.inspectorUrl)`. Connecting turns
 * network capture off: wrangler's inspector proxy enables it for DevTools,
 * and it would record every D1 call's body while a benchmark runs.
 */
import { fetch as miniflareFetch } from 'miniflare';
import type { Profile } from './profile-report.ts';

export interface HeapUsage {
  /** Bytes of live objects and not-yet-collected garbage. */
  usedMb: number;
  /** Bytes V8 has committed for the heap (what the isolate's heap costs in memory). */
  totalMb: number;
}

type InspectorSocket = NonNullable<Awaited<ReturnType<typeof miniflareFetch>>['webSocket']>;
type Reply = { id?: number; result?: Record<string, unknown>; error?: { message?: string } };

const mb = (bytes: unknown): number => Math.round((Number(bytes) / 1048576) * 10) / 10;

export class WorkerHeap {
  readonly #ws: InspectorSocket;
  #nextId = 1;
  readonly #waiting = new Map<number, (reply: Reply) => void>();

  private constructor(ws: InspectorSocket) {
    this.#ws = ws;
    ws.addEventListener('message', (event) => {
      let reply: Reply;
      try {
        reply = JSON.parse(String(event.data)) as Reply;
      } catch {
        return;
      }
      // Replies to the proxy's own requests and events carry other ids or none.
      const done = reply.id === undefined ? undefined : this.#waiting.get(reply.id);
      if (!done) return;
      this.#waiting.delete(reply.id!);
      done(reply);
    });
  }

  static async connect(inspectorUrl: URL): Promise<WorkerHeap> {
    const res = await miniflareFetch(`http://${inspectorUrl.host}/ws`, { headers: { Upgrade: 'websocket' } });
    if (!res.webSocket) throw new Error(`the Worker's inspector refused a WebSocket (${res.status})`);
    res.webSocket.accept();
    const heap = new WorkerHeap(res.webSocket);
    await heap.#call('Network.disable');
    return heap;
  }

  #call(method: string, params: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`inspector: no answer to ${method} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiting.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.error) reject(new Error(`inspector: ${method}: ${reply.error.message ?? 'failed'}`));
        else resolve(reply.result ?? {});
      });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }

  async usage(): Promise<HeapUsage> {
    const r = await this.#call('Runtime.getHeapUsage');
    return { usedMb: mb(r.usedSize), totalMb: mb(r.totalSize) };
  }

  /** A full (mark-compact) collection of the isolate: what is still used afterwards is live. */
  async collectGarbage(): Promise<void> {
    await this.#call('HeapProfiler.collectGarbage');
  }

  /**
   * Samples usage() back to back (at most every `everyMs`) until `stop()`;
   * `stop()` resolves with the highest committed heap seen.
   */
  sampleHighest(everyMs = 100): { stop(): Promise<HeapUsage> } {
    let running = true;
    const highest: HeapUsage = { usedMb: 0, totalMb: 0 };
    const loop = (async () => {
      while (running) {
        const u = await this.usage();
        highest.usedMb = Math.max(highest.usedMb, u.usedMb);
        highest.totalMb = Math.max(highest.totalMb, u.totalMb);
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
    return {
      async stop() {
        running = false;
        await loop;
        return highest;
      },
    };
  }

  /** Starts the CPU profiler (sampling every `intervalUs`); `stopProfile()` answers the profile. */
  async startProfile(intervalUs = 200): Promise<void> {
    await this.#call('Profiler.enable');
    await this.#call('Profiler.setSamplingInterval', { interval: intervalUs });
    await this.#call('Profiler.start');
  }

  async stopProfile(): Promise<Profile> {
    return (await this.#call('Profiler.stop', {}, 120_000)).profile as Profile;
  }

  close(): void {
    this.#ws.close();
  }
}
