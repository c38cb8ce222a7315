import { createExecutionContext, env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import worker from '../../src/index.ts';
import { poolStub } from '../../src/pool/lock-api.ts';
import { TEST_CREDENTIAL_KEY, TEST_CREDENTIAL_KEY_2 } from '../support/keys.ts';
import { keyIdOf, resetPool, seedCredential } from '../pool/support.ts';

beforeEach(async () => {
  await env.DB.prepare('DELETE FROM api_credentials').run();
  await resetPool();
});

async function health(current: string, previous?: string) {
  const res = await worker.fetch(
    new Request('https://vault.test/api/health'),
    { ...env, CREDENTIAL_ENCRYPTION_KEY: current, CREDENTIAL_ENCRYPTION_KEY_PREVIOUS: previous },
    createExecutionContext(),
  );
  const text = await res.text();
  expect(text).not.toContain(TEST_CREDENTIAL_KEY);
  expect(text).not.toContain(TEST_CREDENTIAL_KEY_2);
  return { status: res.status, body: JSON.parse(text) };
}

describe('GET /api/health: credential keys in use and the lock', () => {
  it('says the previous key is still needed, and by how many rows, until no row uses it', async () => {
    const oldId = await keyIdOf(TEST_CREDENTIAL_KEY);
    const newId = await keyIdOf(TEST_CREDENTIAL_KEY_2);
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'k1-aaaaaaaaaa' } });
    await seedCredential({ platform: 'youtube', tier: 'free', fields: { api_key: 'k2-aaaaaaaaaa' } });
    await seedCredential({ platform: 'youtube', tier: 'free', fields: { api_key: 'k3-aaaaaaaaaa' }, key: TEST_CREDENTIAL_KEY_2 });

    const during = await health(TEST_CREDENTIAL_KEY_2, TEST_CREDENTIAL_KEY);
    expect(during.status).toBe(200);
    expect(during.body.status).toBe('ok');
    expect(during.body.d1.reachable).toBe(true);
    expect(during.body.credential_rows).toEqual({
      total: 3,
      by_key: [
        { key_id: newId, status: 'current', rows: 1 },
        { key_id: oldId, status: 'previous', rows: 2 },
      ],
      previous_keys_needed: { needed: true, rows: 2, key_ids: [oldId] },
      missing_keys: [],
    });

    await env.DB.prepare('DELETE FROM api_credentials WHERE key_id = ?').bind(oldId).run();
    const after = await health(TEST_CREDENTIAL_KEY_2, TEST_CREDENTIAL_KEY);
    expect(after.body.credential_rows.previous_keys_needed).toEqual({ needed: false, rows: 0, key_ids: [] });
  });

  it('reports rows under a missing key as degraded, naming the key id and count', async () => {
    await seedCredential({ platform: 'serper', tier: 'medium', fields: { api_key: 'k1-aaaaaaaaaa' } });
    const { status, body } = await health(TEST_CREDENTIAL_KEY_2);
    expect(status).toBe(200);
    expect(body.status).toBe('degraded');
    expect(body.credential_rows.missing_keys).toEqual([{ key_id: await keyIdOf(TEST_CREDENTIAL_KEY), rows: 1 }]);
  });

  it('reports the collection lock', async () => {
    expect((await health(TEST_CREDENTIAL_KEY)).body.collection_lock).toMatchObject({ locked: false, since: null });
    await poolStub(env).lock('rotation:api-health');
    const locked = (await health(TEST_CREDENTIAL_KEY)).body.collection_lock;
    expect(locked.locked).toBe(true);
    expect(typeof locked.since).toBe('string');
    await poolStub(env).unlock('rotation:api-health');
  });
});
