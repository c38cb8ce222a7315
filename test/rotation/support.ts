/**
 * Helpers for the rotation suites. This project's Worker env holds a rotated
 * ring: TEST_CREDENTIAL_KEY_2 is current, TEST_CREDENTIAL_KEY is previous
 * (see vitest.config.ts). Rows are seeded straight into D1 under the old key,
 * each with unique canary fields, so a suite can prove every row still
 * decrypts to exactly what it held.
 */
import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { expect } from 'vitest';
import { Fernet } from '../../src/crypto/fernet.ts';
import { utf8 } from '../../src/crypto/encoding.ts';
import { rotationStub, type KeyRotation } from '../../src/rotation/durable-object.ts';
import { FAULTS_KEY, installPlannedFaults, PAUSED_KEY, RESUME_KEY, type PlannedFault } from './fault-hook.ts';
import type { RotationState } from '../../src/rotation/state-machine.ts';
import type { RotationStatus } from '../../src/rotation/status.ts';
import { createTestUser, type TestUser } from '../support/auth.ts';
import { TEST_CREDENTIAL_KEY, TEST_CREDENTIAL_KEY_2 } from '../support/keys.ts';

export { apiKeyHeaders, callJson } from '../support/auth.ts';

export const OLD = await Fernet.fromKey(TEST_CREDENTIAL_KEY);
export const NEW = await Fernet.fromKey(TEST_CREDENTIAL_KEY_2);
export const ROTATION_PATH = '/api/admin/rotations/credential-key';

export type Originals = Map<number, string>;

/** Fields for row `i`: unique, recognisable canaries. */
export function fieldsFor(i: number, tag = 'seed'): string {
  return JSON.stringify({ api_key: `canary-${tag}-${i}-${crypto.randomUUID()}` });
}

/** Inserts `n` rows encrypted with `fernet` (default: the old key); returns id → plaintext JSON. */
export async function seedRows(n: number, fernet: Fernet = OLD, tag = 'seed'): Promise<Originals> {
  const originals: Originals = new Map();
  const now = Date.now();
  for (let start = 0; start < n; start += 100) {
    const count = Math.min(100, n - start);
    const rows = await Promise.all(
      Array.from({ length: count }, async (_, j) => {
        const plain = fieldsFor(start + j, tag);
        return { plain, token: await fernet.encrypt(plain) };
      }),
    );
    const stmt = env.DB.prepare(
      `INSERT INTO api_credentials (platform, tier, credential_name, encrypted_value, key_id, created_at, updated_at)
       VALUES ('serper', 'medium', ?1, ?2, ?3, ?4, ?4) RETURNING id`,
    );
    const results = await env.DB.batch<{ id: number }>(rows.map((r, j) => stmt.bind(`${tag} ${start + j}`, r.token, fernet.keyId, now)));
    for (const [j, res] of results.entries()) originals.set(res.results[0]!.id, rows[j]!.plain);
  }
  return originals;
}

export interface StoredRow {
  id: number;
  key_id: string;
  encrypted_value: string;
}

export async function allRows(): Promise<StoredRow[]> {
  const { results } = await env.DB.prepare('SELECT id, key_id, encrypted_value FROM api_credentials ORDER BY id').all<StoredRow>();
  return results;
}

/**
 * Every row decrypts, with the key its key_id names, to its original fields;
 * no row lost or added. `underNew` also demands that every row is under the new key.
 */
export async function expectIntact(originals: Originals, opts: { underNew?: boolean } = {}): Promise<void> {
  const rows = await allRows();
  expect(rows.map((r) => r.id).sort((a, b) => a - b)).toEqual([...originals.keys()].sort((a, b) => a - b));
  for (const r of rows) {
    if (opts.underNew) expect(r.key_id, `row ${r.id} key`).toBe(NEW.keyId);
    const f = r.key_id === NEW.keyId ? NEW : r.key_id === OLD.keyId ? OLD : null;
    expect(f, `row ${r.id} under a ring key`).not.toBeNull();
    const plain = utf8.decode(await f!.decrypt(r.encrypted_value));
    expect(plain, `row ${r.id} fields`).toBe(originals.get(r.id));
  }
}

export const stub = () => rotationStub(env) as DurableObjectStub<KeyRotation>;

export async function storedState(): Promise<RotationState | null> {
  return runInDurableObject(stub(), async (_i, state) => (await state.storage.get<RotationState>('state')) ?? null);
}

/** Plans faults for the rotation; installs the suites' fault hook (the Worker never has one). */
export async function planFaults(faults: PlannedFault[]): Promise<void> {
  installPlannedFaults();
  await runInDurableObject(stub(), (_i, state) => state.storage.put(FAULTS_KEY, faults));
}

export async function status(): Promise<RotationStatus> {
  return stub().status();
}

const ENDED = ['done', 'failed', 'aborted', 'idle'];

/**
 * Runs alarms until the rotation has ended and released the lock. Alarms also
 * fire on their own; a simulated crash makes an alarm run reject, as a real
 * crash would (the runtime then retries the alarm). Gives up after `maxMs`
 * without reaching the end.
 */
export async function driveToEnd(maxMs = 30_000): Promise<RotationStatus> {
  const until = Date.now() + maxMs;
  while (Date.now() < until) {
    const s = await stateOrNull();
    if (!s || (ENDED.includes(s.phase) && s.finalized)) return status();
    const ran = await runDurableObjectAlarm(stub()).catch((e: unknown) => {
      if (!/simulated crash/.test(String(e))) throw e;
      return true;
    });
    if (!ran) {
      // runDurableObjectAlarm removes the alarm it ran, even one the crashed
      // run had set, and does not retry it as the runtime does. A status
      // request (what the page and the script poll) re-arms a missing alarm.
      await status();
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error(`rotation did not end; state: ${JSON.stringify(await stateOrNull())}`);
}

async function stateOrNull(): Promise<RotationState | null> {
  return storedState();
}

/** Polls until `predicate` holds for the stored state (for things that happen on their own). */
export async function waitFor(predicate: (s: RotationState) => boolean, rounds = 400): Promise<RotationState> {
  for (let i = 0; i < rounds; i++) {
    const s = await storedState();
    if (s && predicate(s)) return s;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`condition not reached; state: ${JSON.stringify(await storedState())}`);
}

export async function admin(): Promise<TestUser> {
  return createTestUser('admin');
}

export async function poolLocked(): Promise<boolean> {
  const { poolStub } = await import('../../src/pool/lock-api.ts');
  return (await poolStub(env).lockStatus()).locked;
}

export async function auditRows(action?: string): Promise<Record<string, any>[]> {
  const { results } = action
    ? await env.DB.prepare('SELECT * FROM audit_events WHERE action = ? ORDER BY id').bind(action).all<Record<string, any>>()
    : await env.DB.prepare('SELECT * FROM audit_events ORDER BY id').all<Record<string, any>>();
  return results;
}

export const SECRET_KEYS = [TEST_CREDENTIAL_KEY, TEST_CREDENTIAL_KEY_2];

/** A clean slate inside one test file (files are isolated from each other, tests are not). */
export async function resetWorld(): Promise<void> {
  await runInDurableObject(stub(), async (_i, state) => {
    await state.storage.deleteAlarm();
    await state.storage.deleteAll();
  });
  const { poolStub } = await import('../../src/pool/lock-api.ts');
  const { LOCK_HOLDER } = await import('../../src/rotation/durable-object.ts');
  await poolStub(env).unlock(LOCK_HOLDER);
  // Leases a test planted would keep the next rotation draining.
  await runInDurableObject(poolStub(env), (_i, state) => {
    state.storage.sql.exec('DELETE FROM leases');
  });
  await evictDurableObject(poolStub(env)); // what it kept in memory goes with the instance
  await env.DB.prepare('DELETE FROM api_credentials').run();
  await env.DB.prepare('DELETE FROM audit_events').run();
  await evictDurableObject(stub());
}

/** Waits until a planned 'pause' fault holds the rotation (fault-hook.ts). */
export async function waitUntilPaused(): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await runInDurableObject(stub(), (_i, s) => s.storage.get<boolean>(PAUSED_KEY))) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('rotation never reached the pause');
}

/** Lets a paused rotation go on. */
export async function resume(): Promise<void> {
  await runInDurableObject(stub(), (_i, s) => s.storage.put(RESUME_KEY, true));
}
