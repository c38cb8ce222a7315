-- Issue 21: what the original platform's collectors need from a credential.
-- sharing: may the pool grant SHARED leases on it ('allowed', the default), or
--   is every lease exclusive ('never': a provider that bans concurrent use).
-- expires_at: the expiry of the token the credential holds (unix ms, nullable),
--   kept for collectors that refresh long-lived tokens; informational only.
-- fields_updated_at / fields_updated_by: the last time a lease holder replaced
--   the fields (POST /api/pool/update-fields, e.g. after an OAuth refresh) and
--   the audit actor of its collector key (`api_key:N`).
ALTER TABLE api_credentials ADD COLUMN sharing TEXT NOT NULL DEFAULT 'allowed' CHECK (sharing IN ('allowed', 'never'));
ALTER TABLE api_credentials ADD COLUMN expires_at INTEGER;
ALTER TABLE api_credentials ADD COLUMN fields_updated_at INTEGER;
ALTER TABLE api_credentials ADD COLUMN fields_updated_by TEXT;

-- The pool's working copy holds `sharing` (acquire reads it), so a change to it
-- moves the copy's version like the watched columns of migration 0060: to a fresh
-- random value that no earlier state had (never `version + 1`, which a D1 restore
-- can make repeat). A trigger of its own; expires_at and fields_updated_* are not in the
-- copy (the metadata routes read them from D1), and encrypted_value/key_id are
-- already watched.
CREATE TRIGGER pool_copy_credential_sharing_update AFTER UPDATE OF sharing ON api_credentials
BEGIN UPDATE pool_copy_version SET version = random() & 9007199254740991 WHERE id = 1; END;
