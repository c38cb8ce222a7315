// Black box: a real `wrangler dev` rotating thousands of rows is SIGKILLed
// (wrangler and workerd, the whole process group) in the middle of
// re-encryption, restarted on the same state, and the rotation finishes by
// itself with every row intact: each decrypts under the new key alone to
// exactly what it held, none lost, none added, each counted once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fernet } from '../../src/crypto/fernet.ts';
import { DevVault, decryptAll, seedVault } from '../support/dev-vault.ts';

const ROWS = 3000;
const OLD_KEY = Fernet.generateKey();
const NEW_KEY = Fernet.generateKey();
const PATH = '/api/admin/rotations/credential-key';

describe('a rotation killed mid-way by SIGKILL', () => {
  let vault: DevVault;
  let apiKey: string;
  let originals: Map<number, string>;
  let oldF: Fernet;
  let newF: Fernet;

  beforeAll(async () => {
    oldF = await Fernet.fromKey(OLD_KEY);
    newF = await Fernet.fromKey(NEW_KEY);
    // The ring as the operator installs it before starting: new current, old previous.
    vault = new DevVault({
      SECRET_KEY: Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join(''),
      CREDENTIAL_ENCRYPTION_KEY: NEW_KEY,
      CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: OLD_KEY,
    });
    ({ apiKey, originals } = await seedVault(vault, ROWS, oldF));
    await vault.start();
  });

  afterAll(async () => {
    await vault?.dispose();
  });

  it('resumes after restart and finishes with every row intact', async () => {
    // Small batches so the kill lands in re-encryption, not after it.
    const start = await vault.json('POST', PATH, apiKey, { batch_size: 2 });
    expect(start.status).toBe(202);
    const runId = start.body.run_id;

    let atKill: any;
    for (let i = 0; i < 2400; i++) {
      const s = (await vault.json('GET', PATH, apiKey)).body;
      if (s.phase === 'reencrypting' && s.done >= ROWS / 10) {
        atKill = s;
        break;
      }
      expect(['locking', 'draining', 'verifying', 'reencrypting']).toContain(s.phase);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(atKill, 'reached re-encryption').toBeDefined();
    await vault.kill();

    // While it is down: some rows are under the new key, the rest under the old; every one readable.
    const [counts] = vault.execute<{ key_id: string; n: number }>('SELECT key_id, COUNT(*) AS n FROM api_credentials GROUP BY key_id');
    const byKey = new Map(counts!.map((c) => [c.key_id, c.n]));
    expect((byKey.get(newF.keyId) ?? 0) + (byKey.get(oldF.keyId) ?? 0)).toBe(ROWS);
    expect(byKey.get(newF.keyId) ?? 0).toBeGreaterThanOrEqual(atKill.done);
    expect(byKey.get(oldF.keyId) ?? 0).toBeGreaterThan(0);

    await vault.start();
    let end: any;
    for (let i = 0; i < 3000; i++) {
      const s = (await vault.json('GET', PATH, apiKey)).body;
      if (['done', 'failed', 'aborted'].includes(s.phase) && !s.locked) {
        end = s;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(end, 'the rotation ended after the restart').toBeDefined();
    expect(end).toMatchObject({ phase: 'done', run_id: runId, total: ROWS, done: ROWS, skipped: 0, failed: 0, rows_not_under_current_key: 0 });

    await vault.kill();
    const after = await decryptAll(vault, newF);
    expect([...after.keys()]).toEqual([...originals.keys()]);
    for (const [id, plain] of originals) expect(after.get(id), `row ${id}`).toBe(plain);
    const [audit] = vault.execute<{ action: string; detail: string }>("SELECT action, detail FROM audit_events WHERE action LIKE 'rotation.%'");
    expect(audit!.filter((a) => a.action === 'rotation.done')).toHaveLength(1);
    const logText = vault.log + JSON.stringify(audit);
    for (const k of [OLD_KEY, NEW_KEY]) expect(logText).not.toContain(k);
  });
});
