// Black box: a real `wrangler dev` whose CredentialPool is re-reading its
// working copy of D1 (3,000 credentials) is SIGKILLed — wrangler and workerd,
// the whole process group — the moment the sync starts. The write that asked
// for the sync is committed in D1; the copy on disk is still the old one.
// After a restart on the same state, the very first pool request is served
// from a copy that has converged to D1: the deactivated credential is never
// leased, and the copy's version is D1's.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fernet } from '../../src/crypto/fernet.ts';
import { DevVault, seedVault } from '../support/dev-vault.ts';

const ROWS = 3000;
const KEY = Fernet.generateKey();
const SYNC_START = /"event":"pool\.sync","phase":"start"/;
const SYNC_DONE = /"event":"pool\.sync","phase":"done"/;
const ACQUIRE = { platform: 'serper', tier: 'medium', task_id: 'crash-test' };

/** A DevVault that SIGKILLs itself when, once armed, the pool prints that a sync started. */
class KillOnSync extends DevVault {
  armedAt: number | null = null;
  killedMidSync = false;

  arm(): void {
    this.armedAt = this.log.length;
  }

  protected override output(text: string): void {
    super.output(text);
    if (this.armedAt === null) return;
    const since = this.log.slice(this.armedAt);
    if (SYNC_START.test(since)) {
      this.armedAt = null;
      this.killNow();
      this.killedMidSync = !SYNC_DONE.test(since);
    }
  }
}

/** Reads the pool object's own SQLite file (wrangler dev stopped) with python3's sqlite3. */
function poolCopy(v: DevVault): { version: number | null; activeIds: number[] } {
  const dir = path.join(v.state, 'v3', 'do', 'arena-vault-CredentialPool');
  const file = readdirSync(dir).find((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite');
  if (!file) throw new Error(`no CredentialPool database in ${dir}`);
  const script = `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
v = db.execute("SELECT version FROM copy_meta WHERE id = 1").fetchone()
ids = [r[0] for r in db.execute("SELECT id FROM copy_credentials WHERE is_active = 1 ORDER BY id")]
print(json.dumps({"version": v[0] if v else None, "activeIds": ids}))`;
  const out = spawnSync('python3', ['-c', script, path.join(dir, file)], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`python3 sqlite3 failed: ${out.stderr}`);
  return JSON.parse(out.stdout);
}

describe('the pool killed in the middle of a sync', () => {
  let vault: KillOnSync;
  let apiKey: string;

  beforeAll(async () => {
    vault = new KillOnSync({
      SECRET_KEY: Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, '0')).join(''),
      CREDENTIAL_ENCRYPTION_KEY: KEY,
    });
    ({ apiKey } = await seedVault(vault, ROWS, await Fernet.fromKey(KEY)));
    await vault.start(undefined, 'pool copy');
  });

  afterAll(async () => {
    await vault?.dispose();
  });

  it('converges after restart: the first request is served from a copy equal to D1', async () => {
    // The copy is read once (all 3,000 rows active), and credential 1 is leasable.
    const first = await vault.json('POST', '/api/pool/acquire', apiKey, ACQUIRE);
    expect(first.status).toBe(200);
    expect(first.body.credential_id).toBe(1);
    expect((await vault.json('POST', '/api/pool/release', apiKey, { lease_id: first.body.lease_id })).status).toBe(200);

    // An admin write: committed in D1, then the pool starts re-reading — and the process dies.
    vault.arm();
    await vault.json('POST', '/api/credentials/1/deactivate', apiKey).catch(() => undefined);
    await vault.kill();
    expect(vault.killedMidSync, `the kill landed after the sync started and before it finished: ${vault.log.slice(-1500)}`).toBe(true);

    const [[row]] = vault.execute<{ is_active: number }>('SELECT is_active FROM api_credentials WHERE id = 1') as [[{ is_active: number }]];
    expect(row.is_active).toBe(0);
    const [[d1]] = vault.execute<{ version: number }>('SELECT version FROM pool_copy_version WHERE id = 1') as [[{ version: number }]];
    const stale = poolCopy(vault);
    expect(stale.version, 'the copy on disk is still the one read before the write').not.toBe(d1.version);
    expect(stale.activeIds).toContain(1);

    await vault.start(undefined, 'pool copy, restarted');
    for (let i = 0; i < 5; i++) {
      const lease = await vault.json('POST', '/api/pool/acquire', apiKey, ACQUIRE);
      expect(lease.status).toBe(200);
      expect(lease.body.credential_id).not.toBe(1);
      await vault.json('POST', '/api/pool/release', apiKey, { lease_id: lease.body.lease_id });
    }
    await vault.stop();
    const converged = poolCopy(vault);
    expect(converged.version).toBe(d1.version);
    expect(converged.activeIds).toHaveLength(ROWS - 1);
    expect(converged.activeIds).not.toContain(1);
  });
});
