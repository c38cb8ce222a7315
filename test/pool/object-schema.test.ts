/**
 * The pool object's SQLite schema is versioned (src/pool/object-schema.ts):
 * a construction applies only the migrations it has not, so nothing (such as
 * a DROP INDEX) runs again on every start.
 */
import { env, evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { poolStub } from '../../src/pool/lock-api.ts';
import { migratePoolObject, POOL_SCHEMA_VERSION } from '../../src/pool/object-schema.ts';

describe('the pool object schema', () => {
  it('records its version, and a later construction runs no migration again', async () => {
    await poolStub(env).lockStatus(); // constructs the object
    await runInDurableObject(poolStub(env), (_o, state: DurableObjectState) => {
      expect(state.storage.sql.exec('SELECT version FROM pool_schema').one().version).toBe(POOL_SCHEMA_VERSION);
      // An index only an old migration would drop: it survives the next construction.
      state.storage.sql.exec('CREATE INDEX IF NOT EXISTS leases_credential ON leases (credential_id)');
    });
    await evictDurableObject(poolStub(env));
    await poolStub(env).lockStatus();
    await runInDurableObject(poolStub(env), (_o, state: DurableObjectState) => {
      const indexes = state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'leases_credential'").toArray();
      expect(indexes).toHaveLength(1);
      expect(migratePoolObject(state.storage)).toBe(POOL_SCHEMA_VERSION);
      state.storage.sql.exec('DROP INDEX leases_credential');
    });
  });
});
