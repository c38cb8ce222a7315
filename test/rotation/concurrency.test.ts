// What happens around a running rotation: admin edits landing between the
// read of a batch and its commit (never overwritten), and collectors, who are
// refused while collection is locked and served after it unlocks.
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { utf8 } from '../../src/crypto/encoding.ts';
import {
  NEW,
  OLD,
  ROTATION_PATH,
  admin,
  allRows,
  apiKeyHeaders,
  callJson,
  driveToEnd,
  expectIntact,
  planFaults,
  poolLocked,
  resetWorld,
  resume,
  seedRows,
  waitFor,
  waitUntilPaused,
} from './support.ts';

beforeEach(resetWorld);

describe('a credential edited while the rotation runs', () => {
  it('is never overwritten: edits between the read and the commit win, and the rotation finishes around them', async () => {
    const originals = await seedRows(100);
    const ids = [...originals.keys()];
    const user = await admin();
    // Pause batch 1 (rows 1–25) after it is read and re-encrypted, before its commit.
    await planFaults([{ point: 'before-commit', kind: 'pause', batch: 1 }]);
    expect((await callJson('POST', ROTATION_PATH, user.headers, { batch_size: 25 })).status).toBe(202);
    await waitUntilPaused();

    // (a) the admin replaces a secret through the credential API (encrypted under the current key);
    const a = ids[2]!;
    const put = await callJson('PUT', `/api/credentials/${a}/secret`, user.headers, { fields: { api_key: 'edited-through-the-api-aaaa' } });
    expect(put.status).toBe(200);
    originals.set(a, JSON.stringify({ api_key: 'edited-through-the-api-aaaa' }));
    // (b) a writer still on the old key rewrites a row of the same batch;
    const b = ids[5]!;
    const bPlain = JSON.stringify({ api_key: 'edited-by-a-stale-writer-bbbb' });
    await env.DB.prepare('UPDATE api_credentials SET encrypted_value = ? WHERE id = ?')
      .bind(await OLD.encrypt(bPlain), b)
      .run();
    originals.set(b, bPlain);
    // (c) a row of a later batch is edited through the API;
    const c = ids[80]!;
    expect((await callJson('PUT', `/api/credentials/${c}/secret`, user.headers, { fields: { api_key: 'edited-later-row-cccc' } })).status).toBe(200);
    originals.set(c, JSON.stringify({ api_key: 'edited-later-row-cccc' }));
    // (d) a row of the paused batch is deleted.
    const d = ids[7]!;
    expect((await callJson('DELETE', `/api/credentials/${d}`, user.headers)).status).toBe(200);
    originals.delete(d);

    await resume();
    const end = await driveToEnd();
    // a, b and d lost their compare-and-set; b is picked up by a second pass;
    // c was never due (already under the new key). Done = 100 - a - c - d.
    expect(end).toMatchObject({ phase: 'done', total: 100, skipped: 3, done: 97, failed: 0, pass: 2 });
    await expectIntact(originals, { underNew: true });
  });
});

describe('collectors during a rotation', () => {
  const acquireBody = { platform: 'serper', tier: 'medium', task_id: 'task-1' };

  it('are refused (423, Retry-After) while collection is locked and served after unlock, with the re-encrypted credential', async () => {
    const originals = await seedRows(60);
    const collector = await apiKeyHeaders('collector');
    await planFaults([{ point: 'before-commit', kind: 'pause', batch: 2 }]);
    await callJson('POST', ROTATION_PATH, (await admin()).headers, { batch_size: 20 });
    await waitUntilPaused();
    expect(await poolLocked()).toBe(true);

    const { api } = await import('../support/auth.ts');
    const refused = await api('/api/pool/acquire', { method: 'POST', headers: collector, json: acquireBody });
    expect(refused.status).toBe(423);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await refused.json()) as any).error.code).toBe('COLLECTION_LOCKED');

    await resume();
    expect((await driveToEnd()).phase).toBe('done');
    expect(await poolLocked()).toBe(false);
    const served = await callJson('POST', '/api/pool/acquire', collector, acquireBody);
    expect(served.status).toBe(200);
    expect(JSON.stringify(served.body.fields)).toBe(JSON.stringify(JSON.parse(originals.get(served.body.credential_id)!)));
    await expectIntact(originals, { underNew: true });
  });

  it('a lease taken before the rotation holds it in draining until released', async () => {
    const originals = await seedRows(10);
    const collector = await apiKeyHeaders('collector');
    const lease = await callJson('POST', '/api/pool/acquire', collector, acquireBody);
    expect(lease.status).toBe(200);
    await callJson('POST', ROTATION_PATH, (await admin()).headers, { drain_timeout_seconds: 600 });
    await waitFor((s) => s.phase === 'draining' && s.outstandingLeases === 1);
    expect((await allRows()).every((r) => r.key_id === OLD.keyId)).toBe(true);

    const released = await callJson('POST', '/api/pool/release', collector, { lease_id: lease.body.lease_id });
    expect(released.status).toBe(200);
    const end = await driveToEnd();
    expect(end).toMatchObject({ phase: 'done', done: 10, outstanding_leases: 0 });
    await expectIntact(originals, { underNew: true });
    const decrypted = utf8.decode(await NEW.decrypt((await allRows())[0]!.encrypted_value));
    expect(decrypted).toBe(originals.get((await allRows())[0]!.id));
  });
});
