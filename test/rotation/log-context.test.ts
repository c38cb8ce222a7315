/**
 * The request id crosses into the Durable Objects (kernel/log.ts log
 * context): a line the CredentialPool object logs while serving an acquire,
 * and the line the KeyRotation object logs while serving a start, carry the
 * id the response sent in X-Request-Id; lines the objects log from their
 * alarms carry an `alarm-<uuid>` id of their own. No line goes without one.
 * (In the rotation project: a rotation needs its rotated ring.)
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { poolStub } from '../../src/pool/lock-api.ts';
import { NEW, ROTATION_PATH, admin, apiKeyHeaders, callJson, driveToEnd, resetWorld, seedRows } from './support.ts';

type Line = { level: string; request_id?: string; event?: string } & Record<string, unknown>;

let lines: Line[] = [];

beforeEach(async () => {
  await resetWorld();
  lines = [];
  for (const m of ['info', 'warn', 'error'] as const) {
    vi.spyOn(console, m).mockImplementation((s: unknown) => void lines.push(JSON.parse(String(s)) as Line));
  }
});

afterEach(() => vi.restoreAllMocks());

it("the pool object's lines for an acquire and the rotation object's line for a start carry that request's id; alarms' lines an id of their own", async () => {
  await seedRows(2, NEW, 'current');
  const collector = await apiKeyHeaders('collector');
  const acquired = await callJson('POST', '/api/pool/acquire', collector, { platform: 'serper', tier: 'medium', task_id: 'log-context' });
  expect(acquired.status).toBe(200);
  const acquireId = acquired.headers.get('X-Request-Id')!;
  // The pool object read its working copy (evicted by resetWorld) while serving this acquire.
  expect(lines.filter((l) => l.event === 'pool.sync' && l.request_id === acquireId).map((l) => l.phase)).toEqual(['start', 'done']);

  await seedRows(3);
  const user = await admin();
  const started = await callJson('POST', ROTATION_PATH, user.headers, { batch_size: 50 });
  expect(started.status).toBe(202);
  const startId = started.headers.get('X-Request-Id')!;
  expect(lines.filter((l) => l.event === 'rotation.started' && l.request_id === startId)).toHaveLength(1);

  // One copied row differs from D1's, so the rotation's hand-over does not match and its unlock makes the copy re-read.
  await runInDurableObject(poolStub(env), (_i, state) => {
    state.storage.sql.exec(
      "UPDATE copy_credentials SET encrypted_value = 'stale' WHERE id = (SELECT MIN(id) FROM copy_credentials WHERE key_id != ?)",
      NEW.keyId,
    );
  });
  // The lease the acquire holds keeps the rotation draining; release it so the run can finish.
  const released = await callJson('POST', '/api/pool/release', collector, { lease_id: acquired.body.lease_id, units_used: 1 });
  expect(released.status).toBe(200);
  await driveToEnd();
  // The unlock re-reads the pool's copy (see above): the pool object's lines, on the rotation alarm's id.
  const afterUnlock = lines.filter((l) => l.event === 'pool.sync' && l.phase === 'start').at(-1)!;
  expect(afterUnlock.request_id).toMatch(/^alarm-[0-9a-f-]{36}$/);

  expect(lines.filter((l) => typeof l.request_id !== 'string')).toEqual([]);
});

it('a call on the pool service binding carries an rpc-<uuid> id of its own into the pool object', async () => {
  await seedRows(1, NEW, 'current');
  const { exports } = await import('cloudflare:workers');
  const rpc = (exports as unknown as { PoolEntrypoint: import('../../src/pool/types.ts').PoolService }).PoolEntrypoint;
  await rpc.acquire({ platform: 'serper', tier: 'medium', task_id: 'log-context-rpc' });
  const sync = lines.filter((l) => l.event === 'pool.sync');
  expect(sync.map((l) => l.phase)).toEqual(['start', 'done']);
  expect(sync[0]!.request_id).toMatch(/^rpc-[0-9a-f-]{36}$/);
  expect(sync[1]!.request_id).toBe(sync[0]!.request_id);
  expect(lines.filter((l) => typeof l.request_id !== 'string')).toEqual([]);
});
