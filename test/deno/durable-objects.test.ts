// The in-process Durable Object stand-ins: one instance per name, calls run
// one at a time, storage (SQL and key-value) and alarms persist in the
// object's SQLite file and survive a restart of the namespace.
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { DurableObject } from '../../selfhost/cloudflare-workers.ts';
import { InProcessNamespace } from '../../selfhost/object-namespace.ts';
import type { ObjectStorage } from '../../selfhost/object-storage.ts';
import { VaultError } from '../../src/errors.ts';
import { rejection, withTempDir } from './support.ts';

interface Ctx {
  storage: ObjectStorage;
  id: { name?: string };
}

const fired: string[] = [];

class Counter extends DurableObject<unknown> {
  get state(): Ctx {
    return this.ctx as Ctx;
  }
  constructor(ctx: unknown, env: unknown) {
    super(ctx, env);
    this.state.storage.sql.exec(
      'CREATE TABLE IF NOT EXISTS n (id INTEGER PRIMARY KEY CHECK (id = 1), v INTEGER NOT NULL); INSERT OR IGNORE INTO n VALUES (1, 0);',
    );
  }
  /** Read, wait, write: racy unless calls are serialised. */
  async increment(): Promise<number> {
    const v = this.state.storage.sql.exec<{ v: number }>('SELECT v FROM n').one().v;
    await new Promise((r) => setTimeout(r, 1));
    this.state.storage.sql.exec('UPDATE n SET v = ?', v + 1);
    return v + 1;
  }
  value(): number {
    return this.state.storage.sql.exec<{ v: number }>('SELECT v FROM n').one().v;
  }
  async remember(key: string, value: unknown): Promise<void> {
    await this.state.storage.put(key, value);
  }
  async recall(key: string): Promise<unknown> {
    return this.state.storage.get(key);
  }
  holder(): { list: number[] } {
    return this.#shared;
  }
  #shared = { list: [1] };
  async wakeIn(ms: number): Promise<void> {
    await this.state.storage.setAlarm(Date.now() + ms);
  }
  async alarm(): Promise<void> {
    fired.push(`${this.state.id.name}:${this.value()}`);
  }
  /** Two writes with no await between them; a second connection looks in between. */
  writeTwiceAndPeek(file: string): number {
    this.state.storage.sql.exec('UPDATE n SET v = v + 1');
    const other = new DatabaseSync(file);
    const seen = (other.prepare('SELECT v FROM n').get() as { v: number }).v;
    other.close();
    this.state.storage.sql.exec('UPDATE n SET v = v + 1');
    return seen;
  }
  failHalfway(): void {
    this.state.storage.transactionSync(() => {
      this.state.storage.sql.exec('UPDATE n SET v = 1000');
      throw new Error('boom');
    });
  }
}

type CounterStub = {
  increment(): Promise<number>;
  value(): Promise<number>;
  remember(k: string, v: unknown): Promise<void>;
  recall(k: string): Promise<unknown>;
  holder(): Promise<{ list: number[] }>;
  wakeIn(ms: number): Promise<void>;
  failHalfway(): Promise<void>;
  writeTwiceAndPeek(file: string): Promise<number>;
  nothingHere(): Promise<void>;
};

function namespace(dir: string): InProcessNamespace {
  return new InProcessNamespace('Counter', Counter, dir, () => ({}));
}

const stubOf = (ns: InProcessNamespace, name: string) => ns.get(ns.idFromName(name)) as CounterStub;

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), `timed out waiting for ${what}`);
}

Deno.test('objects: concurrent calls on one object never interleave (50 racy increments give 50)', async () => {
  await withTempDir(async (dir) => {
    const ns = namespace(dir);
    const stub = stubOf(ns, 'a');
    const results = await Promise.all(Array.from({ length: 50 }, () => stub.increment()));
    assert.deepEqual(
      [...results].sort((x, y) => x - y),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    assert.equal(await stubOf(ns, 'b').value(), 0, 'another name is another object');
    await ns.close();
  });
});

Deno.test('objects: storage survives a restart; ids are stable per name', async () => {
  await withTempDir(async (dir) => {
    const first = namespace(dir);
    await stubOf(first, 'a').increment();
    await stubOf(first, 'a').remember('when', { at: new Date(5), seen: new Map([[1, 'x']]) });
    const id = first.idFromName('a').toString();
    await first.close();
    const second = namespace(dir);
    assert.equal(second.idFromName('a').toString(), id);
    assert.equal(await stubOf(second, 'a').value(), 1);
    const back = (await stubOf(second, 'a').recall('when')) as { at: Date; seen: Map<number, string> };
    assert.equal(back.at.getTime(), 5);
    assert.equal(back.seen.get(1), 'x');
    await second.close();
  });
});

Deno.test('objects: RPC copies results and refuses unknown methods; unsupported features say NOT_SUPPORTED', async () => {
  await withTempDir(async (dir) => {
    const ns = namespace(dir);
    const stub = stubOf(ns, 'a');
    (await stub.holder()).list.push(2);
    assert.deepEqual((await stub.holder()).list, [1]);
    assert.match(String(await rejection(() => stub.nothingHere())), /does not implement the method "nothingHere"/);
    assert.equal((stub as unknown as { then?: unknown }).then, undefined, 'a stub is not a thenable');
    const e = (() => {
      try {
        ns.jurisdiction();
      } catch (err) {
        return err;
      }
    })();
    assert.ok(e instanceof VaultError && e.code === 'NOT_SUPPORTED');
    await ns.close();
  });
});

Deno.test('objects: writes with no await between them commit together (another connection sees neither, then both)', async () => {
  await withTempDir(async (dir) => {
    const ns = namespace(dir);
    const stub = stubOf(ns, 'a');
    const file = `${dir}/Counter/${ns.idFromName('a').toString()}.sqlite`;
    assert.equal(await stub.writeTwiceAndPeek(file), 0);
    const other = new DatabaseSync(file);
    assert.equal((other.prepare('SELECT v FROM n').get() as { v: number }).v, 2);
    other.close();
    await ns.close();
  });
});

Deno.test('objects: transactionSync rolls back a throwing closure', async () => {
  await withTempDir(async (dir) => {
    const ns = namespace(dir);
    const stub = stubOf(ns, 'a');
    await stub.increment();
    assert.match(String(await rejection(() => stub.failHalfway())), /boom/);
    assert.equal(await stub.value(), 1);
    await ns.close();
  });
});

Deno.test('objects: an alarm fires in-process, and one pending at shutdown fires after the restart', async () => {
  await withTempDir(async (dir) => {
    fired.length = 0;
    const first = namespace(dir);
    await stubOf(first, 'soon').wakeIn(20);
    await until(() => fired.includes('soon:0'), 'the first alarm');
    await stubOf(first, 'later').increment();
    await stubOf(first, 'later').wakeIn(60_000);
    await first.close();
    assert.ok(!fired.some((f) => f.startsWith('later')));

    // Pretend the process was down until the alarm was due: move it into the past on disk.
    const file = `${dir}/Counter/${first.idFromName('later').toString()}.sqlite`;
    const raw = new DatabaseSync(file);
    raw.prepare("UPDATE _cf_METADATA SET value = ? WHERE key = 'alarm_at'").run(Date.now() - 1000);
    raw.close();

    const second = namespace(dir);
    assert.equal(await second.rearmAlarms(), 1);
    await until(() => fired.includes('later:1'), 'the resumed alarm');
    assert.equal(fired.filter((f) => f.startsWith('soon')).length, 1, 'a finished alarm does not fire again');
    await second.close();
  });
});

Deno.test('objects: an alarm whose handler was running when the process died is retried at once after restart', async () => {
  await withTempDir(async (dir) => {
    fired.length = 0;
    const first = namespace(dir);
    await stubOf(first, 'crashed').wakeIn(60_000);
    const file = `${dir}/Counter/${first.idFromName('crashed').toString()}.sqlite`;
    await first.close();
    // What a SIGKILL inside the handler leaves behind: the running mark, and the
    // later (watchdog) time the handler had set before it died.
    const raw = new DatabaseSync(file);
    raw.prepare("INSERT OR REPLACE INTO _cf_METADATA (key, value) VALUES ('alarm_running', 1)").run();
    raw.close();

    const second = namespace(dir);
    assert.equal(await second.rearmAlarms(), 1);
    await until(() => fired.includes('crashed:0'), 'the interrupted alarm');
    await second.close();
  });
});
