// The store against real D1 with rings the Worker's bindings do not have:
// previous-key rows, atomic change+audit batches, the reset-errors hook.
import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDb } from '../../src/db/client.ts';
import { apiCredentials, auditEvents } from '../../src/db/schema.ts';
import { CredentialKeyRing } from '../../src/crypto/key-ring.ts';
import { CredentialStore } from '../../src/credentials/store.ts';
import { NewCredentialBody } from '../../src/credentials/input.ts';
import { parseOrThrow } from '../../src/schema/validate.ts';
import { auditIfChangedStatement } from '../../src/audit/audit.ts';
import { TEST_CREDENTIAL_KEY, TEST_CREDENTIAL_KEY_2 } from '../support/keys.ts';
import { auditFor, serperBody } from './support.ts';

const db = openDb(env.DB);
let oldRing: CredentialKeyRing;
let rotatedRing: CredentialKeyRing;

beforeAll(async () => {
  oldRing = await CredentialKeyRing.fromKeys(TEST_CREDENTIAL_KEY);
  rotatedRing = await CredentialKeyRing.fromKeys(TEST_CREDENTIAL_KEY_2, [TEST_CREDENTIAL_KEY]);
});

const storeWith = (ring: CredentialKeyRing, extra: Partial<ConstructorParameters<typeof CredentialStore>[0]> = {}) =>
  new CredentialStore({ db, ring, actor: 'test:store', userId: null, ...extra });

describe('key status across a key change', () => {
  it('reads a row under a previous key as "previous" and verifies it as needs_previous_key', async () => {
    const created = await storeWith(oldRing).create(parseOrThrow(NewCredentialBody, serperBody('old key row')));
    const store = storeWith(rotatedRing);
    expect((await store.get(created.id)).key_status).toBe('previous');
    expect(await store.verify(created.id)).toMatchObject({ result: 'needs_previous_key', key_status: 'previous', fields_valid: true });
    // A secret replacement always writes under the current key.
    const replaced = await store.replaceSecret(created.id, { api_key: 'a-brand-new-serper-key-0001' });
    expect(replaced).toMatchObject({ key_status: 'current', key_id: rotatedRing.currentKeyId });
    // ...which the old ring can no longer open.
    expect((await storeWith(oldRing).get(created.id)).key_status).toBe('missing_key');
  });
});

describe('change and audit are one batch', () => {
  it('writes no audit event when the change matched no row', async () => {
    const before = (await db.select().from(auditEvents)).length;
    await db.batch([
      db.update(apiCredentials).set({ notes: 'x' }).where(eq(apiCredentials.id, 987654)),
      auditIfChangedStatement(db, { actor: 'test', action: 'credential.update', target: 'credential:987654' }),
    ]);
    expect((await db.select().from(auditEvents)).length).toBe(before);
  });

  it('rolls the change back when its audit insert fails', async () => {
    const v = await storeWith(oldRing).create(parseOrThrow(NewCredentialBody, serperBody('atomic')));
    await expect(
      db.batch([
        db.update(apiCredentials).set({ notes: 'half-written' }).where(eq(apiCredentials.id, v.id)),
        // actor is NOT NULL: this insert fails, so the whole batch must roll back.
        auditIfChangedStatement(db, { actor: null as unknown as string, action: 'credential.update' }),
      ]),
    ).rejects.toThrow();
    const row = await db.select().from(apiCredentials).where(eq(apiCredentials.id, v.id)).get();
    expect(row!.notes).toBeNull();
  });

  it('names the inserted row as the target of a create event', async () => {
    const v = await storeWith(oldRing).create(parseOrThrow(NewCredentialBody, serperBody('target')));
    expect((await auditFor(`credential:${v.id}`)).map((e) => e.action)).toEqual(['credential.create']);
  });
});

describe('reset-errors tells the pool notifier it was handed', () => {
  it("calls the constructor's notifier with the credential id after the reset commits", async () => {
    const seen: number[] = [];
    const pool = {
      credentialErrorsReset: async (id: number) => {
        const row = await db.select().from(apiCredentials).where(eq(apiCredentials.id, id)).get();
        seen.push(row!.errorCount);
      },
    };
    const v = await storeWith(oldRing).create(parseOrThrow(NewCredentialBody, serperBody('hooked')));
    await env.DB.prepare('UPDATE api_credentials SET error_count = 3 WHERE id = ?').bind(v.id).run();
    await storeWith(oldRing, { pool }).resetErrors(v.id);
    expect(seen).toEqual([0]);
  });
});
