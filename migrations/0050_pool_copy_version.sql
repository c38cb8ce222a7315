-- Issue 14: the CredentialPool Durable Object keeps a working copy of what its
-- hot path reads (credentials, API keys with their owner's role and state), so
-- a lease never waits on D1. This counter says when that copy may be behind:
-- every change to a column the copy holds bumps it, by trigger, whoever writes
-- (the app, the rotation, a script through `wrangler d1 execute`). The pool
-- compares it with the version its copy was read at (docs/data-model.md).
-- Usage columns (last_used_at, error_count, last_error_at) are not watched:
-- the pool writes those itself.
CREATE TABLE pool_copy_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
INSERT INTO pool_copy_version (id, version) VALUES (1, 1);

CREATE TRIGGER pool_copy_credential_insert AFTER INSERT ON api_credentials
BEGIN UPDATE pool_copy_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER pool_copy_credential_delete AFTER DELETE ON api_credentials
BEGIN UPDATE pool_copy_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER pool_copy_credential_update
AFTER UPDATE OF platform, tier, encrypted_value, key_id, is_active, daily_quota, monthly_quota, max_leases ON api_credentials
BEGIN UPDATE pool_copy_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER pool_copy_api_key_insert AFTER INSERT ON api_keys
BEGIN UPDATE pool_copy_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER pool_copy_api_key_delete AFTER DELETE ON api_keys
BEGIN UPDATE pool_copy_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER pool_copy_api_key_update
AFTER UPDATE OF scope, user_id, key_prefix, key_hash, revoked_at, expires_at ON api_keys
BEGIN UPDATE pool_copy_version SET version = version + 1 WHERE id = 1; END;

CREATE TRIGGER pool_copy_user_delete AFTER DELETE ON users
BEGIN UPDATE pool_copy_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER pool_copy_user_update AFTER UPDATE OF role, is_active ON users
BEGIN UPDATE pool_copy_version SET version = version + 1 WHERE id = 1; END;
