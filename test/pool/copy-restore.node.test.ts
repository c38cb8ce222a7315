// Black box: a real `wrangler dev`, and its local D1 file restored to an
// earlier state underneath the pool's working copy (what a D1 Time Travel
// restore does to a deployed vault: rows go back, the pool object keeps its
// own storage). A collector key created after the bookmark is gone from D1,
// and one SQL write to a watched column follows, as import-credentials makes.
// - The gone key must be refused at its next request: the write gives D1's
//   `pool_copy_version` a value the copy has never had (migration 0060), so
//   the version check re-reads the copy. With a counter (0050) the write
//   brought the version back to the copy's own number and the key kept leasing.
// - The restore rewinds AUTOINCREMENT, so the next key gets the gone key's
//   id; it must not inherit the gone key's identity (its lease).
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fernet } from '../../src/crypto/fernet.ts';
import { DevVault, seedVault } from '../support/dev-vault.ts';

const KEY = Fernet.generateKey();
const ACQUIRE = { platform: 'serper', tier: 'medium', task_id: 'restore-test', ttl_seconds: 3600 };

describe('a D1 restore under the pool copy', () => {
  let vault: DevVault;
  let adminKey: string;
  let bookmark: string;

  beforeAll(async () => {
    vault = new DevVault({
      SECRET_KEY: Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join(''),
      CREDENTIAL_ENCRYPTION_KEY: KEY,
    });
    ({ apiKey: adminKey } = await seedVault(vault, 3, await Fernet.fromKey(KEY)));
    bookmark = mkdtempSync(path.join(tmpdir(), 'arena-vault-d1-bookmark-'));
  });

  afterAll(async () => {
    await vault?.dispose();
    if (bookmark) rmSync(bookmark, { recursive: true, force: true });
  });

  const d1Dir = () => path.join(vault.state, 'v3', 'd1');

  it('refuses a key the restore removed, and a later key with its id does not inherit its leases', async () => {
    // The copy is read once, then D1 as it stands is the bookmark.
    await vault.start(undefined, 'before the bookmark');
    const warm = await vault.json('POST', '/api/pool/acquire', adminKey, ACQUIRE);
    expect(warm.status).toBe(200);
    expect((await vault.json('POST', '/api/pool/release', adminKey, { lease_id: warm.body.lease_id })).status).toBe(200);
    await vault.stop();
    cpSync(d1Dir(), bookmark, { recursive: true });

    // After the bookmark: a collector key, which takes a lease and keeps it.
    await vault.start(undefined, 'after the bookmark');
    const gone = await vault.json('POST', '/api/api-keys', adminKey, { name: 'created after the bookmark', scope: 'collector' });
    expect(gone.status).toBe(201);
    const lease = await vault.json('POST', '/api/pool/acquire', gone.body.key, ACQUIRE);
    expect(lease.status).toBe(200);
    await vault.stop();

    // Restore D1 to the bookmark (the pool object's storage stays), then one SQL write to a watched column.
    rmSync(d1Dir(), { recursive: true, force: true });
    cpSync(bookmark, d1Dir(), { recursive: true });
    vault.execute('UPDATE api_credentials SET daily_quota = 1000 WHERE id = 2');
    const [[keys]] = vault.execute<{ n: number }>(`SELECT COUNT(*) AS n FROM api_keys WHERE id = ${Number(gone.body.id)}`) as [[{ n: number }]];
    expect(keys.n, 'the restore removed the key').toBe(0);

    await vault.start(undefined, 'restored');
    // The first request already meets the version check: no lease for the key D1 no longer has.
    for (let i = 0; i < 3; i++) {
      const refused = await vault.json('POST', '/api/pool/acquire', gone.body.key, ACQUIRE);
      expect(refused.status, JSON.stringify(refused.body)).toBe(401);
    }

    // A key created now gets the gone key's AUTOINCREMENT id, and nothing else of it.
    const next = await vault.json('POST', '/api/api-keys', adminKey, { name: 'created after the restore', scope: 'collector' });
    expect(next.status).toBe(201);
    expect(next.body.id, 'the restore rewound AUTOINCREMENT').toBe(gone.body.id);
    const renew = await vault.json('POST', '/api/pool/renew', next.body.key, { lease_id: lease.body.lease_id });
    expect(renew.status, JSON.stringify(renew.body)).toBe(410);
    expect(renew.body.error.code).toBe('LEASE_EXPIRED');
    const release = await vault.json('POST', '/api/pool/release', next.body.key, { lease_id: lease.body.lease_id });
    expect(release.status, JSON.stringify(release.body)).toBe(410);
    // Its own leases work as any key's.
    const own = await vault.json('POST', '/api/pool/acquire', next.body.key, ACQUIRE);
    expect(own.status).toBe(200);
    expect((await vault.json('POST', '/api/pool/release', next.body.key, { lease_id: own.body.lease_id })).status).toBe(200);
  });
});
