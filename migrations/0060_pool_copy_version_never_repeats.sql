-- Issue 19: the pool copy's version never repeats. Migration 0050 counted
-- (`version = version + 1`), so after a D1 restore (Time Travel) one write
-- brought the counter back to a number the pool's copy already had, and the
-- copy kept serving a state D1 no longer holds. Now every change to a watched
-- row sets `version` to a fresh random value: the pool re-reads whenever D1's
-- value differs from the one its copy was read at, and a restored D1 followed
-- by any write can only land on a value the copy has by a 1-in-2^53 chance.
-- 53 bits, not 63: JavaScript reads the value as a number, and every value
-- up to 2^53 - 1 is exact there, so two different versions never compare equal.
-- The table, its one row and its column stay as they were (outside tools read them).
-- The watched columns are 0050's; see docs/data-model.md#the-pool-copy-version-rule.
DROP TRIGGER pool_copy_credential_insert;
DROP TRIGGER pool_copy_credential_delete;
DROP TRIGGER pool_copy_credential_update;
DROP TRIGGER pool_copy_api_key_insert;
DROP TRIGGER pool_copy_api_key_delete;
DROP TRIGGER pool_copy_api_key_update;
DROP TRIGGER pool_copy_user_delete;
DROP TRIGGER pool_copy_user_update;

ALTER TABLE pool_copy_version ADD COLUMN cipher_rewrite INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER pool_copy_credential_insert AFTER INSERT ON api_credentials
BEGIN UPDATE pool_copy_version SET version = random() & 9007199254740991 WHERE id = 1; END;
CREATE TRIGGER pool_copy_credential_delete AFTER DELETE ON api_credentials
BEGIN UPDATE pool_copy_version SET version = random() & 9007199254740991 WHERE id = 1; END;
CREATE TRIGGER pool_copy_credential_update
AFTER UPDATE OF platform, tier, is_active, daily_quota, monthly_quota, max_leases ON api_credentials
BEGIN UPDATE pool_copy_version SET version = random() & 9007199254740991 WHERE id = 1; END;
-- The ciphertext and its key id: not counted while a key rotation rewrites them
-- (cipher_rewrite = 1). The rotation sets it only while it holds the pool's
-- collection lock, under which the pool hands out nothing; it clears it with
-- one version change before it unlocks, and the unlock re-reads the copy
-- (rotation/durable-object.ts, pool/d1-source.ts setCipherRewrite). A per-row
-- count made every re-encrypted row a second write: half a rotation's time.
CREATE TRIGGER pool_copy_credential_cipher_update
AFTER UPDATE OF encrypted_value, key_id ON api_credentials
WHEN (SELECT cipher_rewrite FROM pool_copy_version WHERE id = 1) IS NOT 1
BEGIN UPDATE pool_copy_version SET version = random() & 9007199254740991 WHERE id = 1; END;

CREATE TRIGGER pool_copy_api_key_insert AFTER INSERT ON api_keys
BEGIN UPDATE pool_copy_version SET version = random() & 9007199254740991 WHERE id = 1; END;
CREATE TRIGGER pool_copy_api_key_delete AFTER DELETE ON api_keys
BEGIN UPDATE pool_copy_version SET version = random() & 9007199254740991 WHERE id = 1; END;
CREATE TRIGGER pool_copy_api_key_update
AFTER UPDATE OF scope, user_id, key_prefix, key_hash, revoked_at, expires_at ON api_keys
BEGIN UPDATE pool_copy_version SET version = random() & 9007199254740991 WHERE id = 1; END;

CREATE TRIGGER pool_copy_user_delete AFTER DELETE ON users
BEGIN UPDATE pool_copy_version SET version = random() & 9007199254740991 WHERE id = 1; END;
CREATE TRIGGER pool_copy_user_update AFTER UPDATE OF role, is_active ON users
BEGIN UPDATE pool_copy_version SET version = random() & 9007199254740991 WHERE id = 1; END;

-- Lease holders and API-key actors change from `api_key:<id>` to `api_key:<prefix>` with this
-- release (auth/api-keys.ts apiKeyActor): every copy re-reads once.
UPDATE pool_copy_version SET version = random() & 9007199254740991 WHERE id = 1;
