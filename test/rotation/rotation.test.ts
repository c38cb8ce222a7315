// The KeyRotation Durable Object end to end through REST: every phase, the
// outcomes of a start, abort, draining, an undecryptable row, the audit event.
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  NEW,
  OLD,
  ROTATION_PATH,
  SECRET_KEYS,
  admin,
  allRows,
  auditRows,
  callJson,
  driveToEnd,
  expectIntact,
  planFaults,
  poolLocked,
  resetWorld,
  seedRows,
  storedState,
  waitFor,
} from './support.ts';
import { Fernet } from '../../src/crypto/fernet.ts';
import { MAX_BATCH_CIPHER_CHARS } from '../../src/rotation/state-machine.ts';

/** Collects console output (the Worker and its Durable Objects run in this isolate). */
function captureConsole(): { stop(): string } {
  const lines: string[] = [];
  const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    }),
  );
  return {
    stop() {
      for (const s of spies) s.mockRestore();
      return lines.join('\n');
    },
  };
}

beforeEach(resetWorld);

describe('credential-key rotation', () => {
  it('cuts a batch of very large credentials at MAX_BATCH_CIPHER_CHARS, whatever batch_size says', async () => {
    const originals: Map<number, string> = new Map();
    const now = Date.now();
    for (let i = 0; i < 3; i++) {
      // About 600,000 characters of ciphertext each: two would pass the cap.
      const plain = JSON.stringify({ session_string: `big-${i}-${'s'.repeat(450_000)}` });
      const row = await env.DB.prepare(
        `INSERT INTO api_credentials (platform, tier, credential_name, encrypted_value, key_id, created_at, updated_at)
         VALUES ('serper', 'medium', ?1, ?2, ?3, ?4, ?4) RETURNING id`,
      )
        .bind(`big ${i}`, await OLD.encrypt(plain), OLD.keyId, now)
        .first<{ id: number }>();
      originals.set(row!.id, plain);
    }
    expect((await allRows()).every((r) => r.encrypted_value.length > MAX_BATCH_CIPHER_CHARS / 2)).toBe(true);
    expect((await callJson('POST', ROTATION_PATH, (await admin()).headers, {})).status).toBe(202);
    const end = await driveToEnd();
    expect(end).toMatchObject({ phase: 'done', total: 3, done: 3, skipped: 0, failed: 0 });
    expect(end.batches, 'one row per batch').toBe(3);
    await expectIntact(originals, { underNew: true });
  });

  it('rotates every row under the new key, keeping every field, and ends unlocked with an audit event', async () => {
    const originals = await seedRows(230);
    const already = await seedRows(20, NEW, 'current');
    for (const [id, plain] of already) originals.set(id, plain);
    const user = await admin();

    const logged = captureConsole();
    const start = await callJson('POST', ROTATION_PATH, user.headers, { batch_size: 50 });
    expect(start.status).toBe(202);
    expect(start.body).toMatchObject({ result: 'started', current_key_id: NEW.keyId, previous_key_ids: [OLD.keyId], batch_size: 50 });
    expect(typeof start.body.started_at).toBe('string');

    const end = await driveToEnd();
    expect(end).toMatchObject({ phase: 'done', total: 230, done: 230, skipped: 0, failed: 0, verified: 250, locked: false, last_error: null });
    expect(end.batches).toBe(5);
    expect(end.finished_at).not.toBeNull();
    await expectIntact(originals, { underNew: true });
    expect(await poolLocked()).toBe(false);

    const got = await callJson('GET', ROTATION_PATH, user.headers);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ phase: 'done', rows_not_under_current_key: 0 });
    expect(got.body.next_step).toContain('you may now delete CREDENTIAL_ENCRYPTION_KEY_PREVIOUS');

    const [event] = await auditRows('rotation.done');
    const detail = JSON.parse(event!.detail);
    expect(detail).toMatchObject({ to_key_id: NEW.keyId, from_key_ids: [OLD.keyId], total: 230, done: 230, skipped: 0, failed: 0 });
    expect(event!.actor).toBe(`user:${user.id}`);
    expect((await auditRows('rotation.started')).length).toBe(1);
    const everything = JSON.stringify(await auditRows()) + start.text + got.text + logged.stop();
    for (const k of SECRET_KEYS) expect(everything).not.toContain(k);
    for (const plain of originals.values()) expect(everything).not.toContain(JSON.parse(plain).api_key);
  });

  it('keeps each token’s original timestamp (MultiFernet.rotate semantics)', async () => {
    const originals = await seedRows(3);
    const before = new Map((await allRows()).map((r) => [r.id, r.encrypted_value]));
    await callJson('POST', ROTATION_PATH, (await admin()).headers);
    await driveToEnd();
    for (const r of await allRows()) {
      const was = await OLD.extractTimestamp(before.get(r.id)!);
      expect(await NEW.extractTimestamp(r.encrypted_value)).toBe(was);
    }
    await expectIntact(originals, { underNew: true });
  });

  it('answers 200 nothing_to_do when every row is already under the current key', async () => {
    await seedRows(5, NEW);
    const res = await callJson('POST', ROTATION_PATH, (await admin()).headers);
    expect(res.status).toBe(200);
    expect(res.body.result).toBe('nothing_to_do');
    expect(res.body.phase).toBe('idle');
    expect(await poolLocked()).toBe(false);
    expect(await storedState()).toBeNull();
  });

  it('two starts at once: one starts, the other gets 409', async () => {
    const originals = await seedRows(20);
    const user = await admin();
    const both = await Promise.all([callJson('POST', ROTATION_PATH, user.headers), callJson('POST', ROTATION_PATH, user.headers)]);
    expect(both.map((r) => r.status).sort()).toEqual([202, 409]);
    expect(await driveToEnd()).toMatchObject({ phase: 'done', done: 20 });
    expect(await auditRows('rotation.started')).toHaveLength(1);
    await expectIntact(originals, { underNew: true });
  });

  it('refuses a second start with 409 ROTATION_IN_PROGRESS and the running status', async () => {
    const originals = await seedRows(40);
    const user = await admin();
    // Hold the rotation in a retry so it is certainly still running.
    await planFaults([{ point: 'verify-page', kind: 'throw', times: 3 }]);
    const logged = captureConsole();
    const first = await callJson('POST', ROTATION_PATH, user.headers);
    expect(first.status).toBe(202);
    const second = await callJson('POST', ROTATION_PATH, user.headers);
    expect(second.status).toBe(409);
    expect(second.body.error.code).toBe('ROTATION_IN_PROGRESS');
    expect(second.body.error.details.rotation.run_id).toBe(first.body.run_id);
    expect(['locking', 'draining', 'verifying']).toContain(second.body.error.details.rotation.phase);
    const end = await driveToEnd();
    expect(end).toMatchObject({ phase: 'done', done: 40, run_id: first.body.run_id });
    expect(end.last_error).toMatch(/injected failure at verify-page/);
    const output = logged.stop();
    expect(output).toContain('"event":"rotation.step_failed"');
    for (const k of SECRET_KEYS) expect(output).not.toContain(k);
    for (const plain of originals.values()) expect(output).not.toContain(JSON.parse(plain).api_key);
    await expectIntact(originals, { underNew: true });
  });

  it('fails in verifying, before writing anything, over rows the ring cannot decrypt, and lists their ids', async () => {
    const originals = await seedRows(30);
    const stranger = await Fernet.fromKey(Fernet.generateKey());
    const lost = await seedRows(2, stranger, 'lost');
    const [tamperedId] = [...originals.keys()].slice(10, 11);
    const row = (await allRows()).find((r) => r.id === tamperedId)!;
    const flipped = row.encrypted_value.slice(0, 30) + (row.encrypted_value[30] === 'A' ? 'B' : 'A') + row.encrypted_value.slice(31);
    await env.DB.prepare('UPDATE api_credentials SET encrypted_value = ? WHERE id = ?').bind(flipped, tamperedId).run();
    const before = await allRows();

    const res = await callJson('POST', ROTATION_PATH, (await admin()).headers);
    expect(res.status).toBe(202);
    const end = await driveToEnd();
    expect(end.phase).toBe('failed');
    expect(end.done).toBe(0);
    expect(end.undecryptable_ids.sort((a, b) => a - b)).toEqual([tamperedId!, ...lost.keys()].sort((a, b) => a - b));
    expect(end.reason).toContain('before anything was written');
    expect(end.locked).toBe(false);
    expect(await poolLocked()).toBe(false);
    expect(await allRows()).toEqual(before);
    expect((await auditRows('rotation.failed')).length).toBe(1);
  });

  it('abort stops after the current batch, unlocks, and leaves every row readable', async () => {
    const originals = await seedRows(100);
    const user = await admin();
    // Batch 3 keeps failing, so the rotation waits in its retry backoff.
    await planFaults([{ point: 'before-commit', kind: 'throw', batch: 3, times: 4 }]);
    await callJson('POST', ROTATION_PATH, user.headers, { batch_size: 10 });
    await waitFor((s) => s.lastError !== null);
    const res = await callJson('POST', `${ROTATION_PATH}/abort`, user.headers);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ result: 'abort_requested', abort_requested: true });
    const end = await driveToEnd();
    expect(end.phase).toBe('aborted');
    expect(end.done).toBe(20);
    expect(end.reason).toContain('after 20 of 100 rows');
    expect(await poolLocked()).toBe(false);
    const rows = await allRows();
    expect(rows.filter((r) => r.key_id === NEW.keyId)).toHaveLength(20);
    await expectIntact(originals);

    const again = await callJson('POST', `${ROTATION_PATH}/abort`, user.headers);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('CONFLICT');

    // A new start finishes the job.
    await planFaults([]);
    expect((await callJson('POST', ROTATION_PATH, user.headers)).status).toBe(202);
    expect(await driveToEnd()).toMatchObject({ phase: 'done', total: 80, done: 80 });
    await expectIntact(originals, { underNew: true });
  });

  it('draining waits for outstanding leases and fails on its timeout, unlocking, with nothing written', async () => {
    const originals = await seedRows(10);
    const { runInDurableObject } = await import('cloudflare:test');
    const { poolStub } = await import('../../src/pool/lock-api.ts');
    const { PoolStore } = await import('../../src/pool/pool-store.ts');
    await runInDurableObject(poolStub(env), (_i, state) => {
      new PoolStore(state.storage.sql).insertLease({
        leaseId: 'held',
        credentialId: [...originals.keys()][0]!,
        platform: 'serper',
        tier: 'medium',
        taskId: 't',
        holder: 'collector',
        acquiredAt: Date.now(),
        expiresAt: Date.now() + 600_000,
        dayPeriod: 'd:x',
        monthPeriod: 'm:x',
      });
    });
    // Planted behind the object's back: the next instance reads it from storage.
    const { evictDurableObject } = await import('cloudflare:test');
    await evictDurableObject(poolStub(env));
    await callJson('POST', ROTATION_PATH, (await admin()).headers, { drain_timeout_seconds: 0 });
    const end = await driveToEnd();
    expect(end.phase).toBe('failed');
    expect(end.outstanding_leases).toBe(1);
    expect(end.reason).toContain('1 lease(s) were still out');
    expect(await poolLocked()).toBe(false);
    expect((await allRows()).every((r) => r.key_id === OLD.keyId)).toBe(true);
    await expectIntact(originals);
  });

  it('reports status while running: phase, counts, times, key ids, lock', async () => {
    await seedRows(30);
    await planFaults([{ point: 'before-commit', kind: 'throw', batch: 2, times: 2 }]);
    const user = await admin();
    await callJson('POST', ROTATION_PATH, user.headers, { batch_size: 10 });
    await waitFor((s) => s.lastError !== null);
    const mid = await callJson('GET', ROTATION_PATH, user.headers);
    expect(mid.body).toMatchObject({ phase: 'reencrypting', total: 30, done: 10, locked: true, current_key_id: NEW.keyId, previous_key_ids: [OLD.keyId] });
    expect(mid.body.last_error).toMatch(/before-commit/);
    expect(mid.body.rows_not_under_current_key).toBeNull();
    expect(await poolLocked()).toBe(true);
    expect(Date.parse(mid.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(mid.body.started_at));
    await driveToEnd();
  });
});
