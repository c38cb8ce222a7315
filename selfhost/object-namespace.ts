/**
 * DurableObjectNamespace for the self-hosted editions (Node and Deno): the same Durable Object class
 * the Worker exports (CredentialPool, KeyRotation) runs in-process, one
 * instance per name, over its own SQLite file (object-storage.ts).
 *
 * What a Durable Object guarantees, and how it is kept here:
 *  - one instance per id, calls serialised: every RPC call and alarm runs
 *    alone (a queue per object; stricter than workerd's input gates, never
 *    looser);
 *  - RPC by structured clone: arguments and results are copied, as across
 *    the Workers RPC boundary;
 *  - durable alarms: the alarm time lives in the object's file, a timer fires
 *    it, and at start `rearmAlarms()` re-schedules every stored alarm, so
 *    work checkpointed before a crash or restart resumes; a throwing alarm
 *    is retried with backoff (up to 6 times), as on Cloudflare.
 * Not served: WebSocket hibernation, `fetch` to other hosts' objects,
 * jurisdictions. Those throw a plain NOT_SUPPORTED error.
 *
 * @example
 *   const POOL = new InProcessNamespace('CredentialPool', CredentialPool, dir, () => env);
 *   await POOL.get(POOL.idFromName('credential-pool')).lockStatus();
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { ObjectStorage } from './object-storage.ts';
import { sha256 } from '../src/crypto/hash.ts';
import { VaultError } from '../src/errors.ts';
import { hexEncode, utf8 } from '../src/crypto/encoding.ts';

// deno-lint-ignore no-explicit-any
type ObjectClass = new (ctx: any, env: any) => any;

const MAX_ALARM_RETRIES = 6;
const MAX_TIMER_MS = 2 ** 31 - 1;

function notSupported(what: string): never {
  throw new VaultError('NOT_SUPPORTED', `${what} is not available in the self-hosted editions.`);
}

/** Stable id for a name, like workerd's: 64 hex characters, the same after a restart. */
function hexId(text: string): string {
  return hexEncode(sha256(utf8.encode(text)));
}

export class ObjectId {
  readonly name?: string;
  readonly #hex: string;
  constructor(hex: string, name?: string) {
    this.#hex = hex;
    if (name !== undefined) this.name = name;
  }
  toString(): string {
    return this.#hex;
  }
  equals(other: ObjectId): boolean {
    return other.toString() === this.#hex;
  }
}

function cloneForRpc<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch {
    return value; // functions / stubs pass by reference, as RPC stubs would
  }
}

/** One live object: its storage, instance, call queue and alarm timer. */
class LiveObject {
  readonly id: ObjectId;
  readonly storage: ObjectStorage;
  instance: Record<string | symbol, unknown> | undefined;
  #tail: Promise<unknown> = Promise.resolve();
  #inside = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #retries = 0;
  readonly #waits = new Set<Promise<unknown>>();

  constructor(id: ObjectId, storage: ObjectStorage) {
    this.id = id;
    this.storage = storage;
    storage.onAlarmChange = (at) => this.schedule(at);
  }

  /** The DurableObjectState handed to the class constructor. */
  state(): Record<string, unknown> {
    return {
      id: this.id,
      storage: this.storage,
      waitUntil: (p: Promise<unknown>) => {
        const tracked = Promise.resolve(p)
          .catch(() => undefined)
          .finally(() => this.#waits.delete(tracked));
        this.#waits.add(tracked);
      },
      blockConcurrencyWhile: <T>(fn: () => Promise<T>): Promise<T> => (this.#inside ? fn() : this.run(fn)),
      abort: () => notSupported('Aborting a Durable Object'),
      acceptWebSocket: () => notSupported('WebSocket hibernation'),
      getWebSockets: () => [],
      setWebSocketAutoResponse: () => notSupported('WebSocket auto-response'),
    };
  }

  /** Runs `fn` alone on this object, then commits its storage writes. */
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const result = this.#tail.then(async () => {
      this.#inside = true;
      try {
        return await fn();
      } finally {
        this.#inside = false;
        await this.storage.sync();
      }
    });
    this.#tail = result.catch(() => undefined);
    return result;
  }

  /** Arms the timer for `at`; `now` fires the stored alarm at once even if it is set later (a retry). */
  schedule(at: number | null, now = false): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (at === null) return;
    const delay = now ? 0 : Math.min(MAX_TIMER_MS, Math.max(0, at - Date.now()));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (!now && at - Date.now() > 0) return this.schedule(at); // a very distant alarm, re-armed in steps
      void this.fireAlarm(now);
    }, delay);
  }

  async fireAlarm(evenIfLater = false): Promise<void> {
    let retryAgainAt: number | null = null;
    let armAt: number | null = null;
    await this.run(async () => {
      const at = await this.storage.getAlarm();
      if (at === null) return; // deleted meanwhile
      if (at > Date.now() && !evenIfLater) {
        armAt = at; // moved later meanwhile: wait for it
        return;
      }
      const gen = this.storage.getMeta('alarm_gen') as number;
      const handler = this.instance?.alarm;
      if (typeof handler !== 'function') {
        this.storage.clearAlarmIfGeneration(gen);
        return;
      }
      this.storage.markAlarmRunning(true);
      try {
        await handler.call(this.instance, { retryCount: this.#retries, isRetry: this.#retries > 0 });
        this.#retries = 0;
        this.storage.clearAlarmIfGeneration(gen);
      } catch (e) {
        this.#retries++;
        console.log(
          JSON.stringify({
            level: 'error',
            event: 'alarm_failed',
            object: this.id.toString(),
            retry: this.#retries,
            error: e instanceof Error ? e.name : typeof e,
          }),
        );
        if (this.#retries > MAX_ALARM_RETRIES) {
          this.#retries = 0;
          this.storage.clearAlarmIfGeneration(gen);
        } else if (this.storage.getMeta('alarm_gen') === gen) {
          retryAgainAt = Date.now() + 1000 * 2 ** (this.#retries - 1);
        }
      } finally {
        this.storage.markAlarmRunning(false);
      }
    });
    if (retryAgainAt !== null) this.schedule(retryAgainAt);
    else if (armAt !== null && this.#timer === undefined) this.schedule(armAt);
  }

  stop(): Promise<void> {
    this.schedule(null);
    return this.run(() => undefined)
      .then(() => Promise.all([...this.#waits]))
      .then(() => this.storage.close());
  }
}

export class InProcessNamespace {
  readonly className: string;
  readonly #cls: ObjectClass;
  readonly #dir: string;
  readonly #env: () => unknown;
  readonly #live = new Map<string, LiveObject>();

  constructor(className: string, cls: ObjectClass, dir: string, env: () => unknown) {
    this.className = className;
    this.#cls = cls;
    this.#dir = `${dir}/${className}`;
    this.#env = env;
    mkdirSync(this.#dir, { recursive: true });
  }

  idFromName(name: string): ObjectId {
    return new ObjectId(hexId(`${this.className}:${name}`), name);
  }

  idFromString(hex: string): ObjectId {
    if (!/^[0-9a-f]{32,64}$/.test(hex)) throw new TypeError('Invalid Durable Object ID: must be hex');
    return new ObjectId(hex);
  }

  newUniqueId(): ObjectId {
    return new ObjectId(Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join(''));
  }

  jurisdiction(): never {
    return notSupported('Durable Object jurisdictions');
  }

  getByName(name: string): unknown {
    return this.get(this.idFromName(name));
  }

  /** A stub: each property is an RPC method run on the live object, alone. */
  get(id: ObjectId): unknown {
    const call = (method: string, args: unknown[]) => {
      const live = this.#object(id);
      return live.run(async () => {
        const target = live.instance![method];
        if (typeof target !== 'function') throw new TypeError(`The RPC receiver does not implement the method "${method}".`);
        return cloneForRpc(await target.apply(live.instance, cloneForRpc(args)));
      });
    };
    return new Proxy(
      {},
      {
        get: (_t, prop) => {
          if (prop === 'id') return id;
          if (prop === 'name') return id.name;
          if (typeof prop !== 'string' || prop === 'then') return undefined;
          if (prop === 'fetch') return (input: RequestInfo | URL, init?: RequestInit) => call('fetch', [new Request(input, init)]);
          return (...args: unknown[]) => call(prop, args);
        },
      },
    );
  }

  #object(id: ObjectId): LiveObject {
    const key = id.toString();
    let live = this.#live.get(key);
    if (!live) {
      const storage = new ObjectStorage(`${this.#dir}/${key}.sqlite`);
      storage.describe(this.className, id.name ?? null);
      live = new LiveObject(id, storage);
      this.#live.set(key, live);
      live.instance = new this.#cls(live.state(), this.#env());
    }
    return live;
  }

  /**
   * At start: every object with a stored alarm is constructed and its alarm
   * re-armed. Overdue ones fire now, and so does one whose handler was
   * running when the process died (that invocation failed; it is retried).
   */
  async rearmAlarms(): Promise<number> {
    let armed = 0;
    for (const entry of readdirSync(this.#dir, { withFileTypes: true })) {
      const m = /^([0-9a-f]+)\.sqlite$/.exec(entry.name);
      if (!entry.isFile() || !m) continue;
      const probe = new ObjectStorage(`${this.#dir}/${entry.name}`);
      const name = probe.getMeta('name') as string | null;
      const at = await probe.getAlarm();
      const interrupted = probe.getMeta('alarm_running') === 1;
      probe.close();
      if (at === null) continue;
      const live = this.#object(new ObjectId(m[1]!, name ?? undefined));
      live.schedule(at, interrupted);
      armed++;
    }
    return armed;
  }

  /** Stops timers and closes every object's file (after in-flight calls finish). */
  async close(): Promise<void> {
    await Promise.all([...this.#live.values()].map((l) => l.stop()));
    this.#live.clear();
  }
}
