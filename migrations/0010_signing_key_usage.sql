-- Which SECRET_KEY (by key id) signed access tokens, and until when those
-- tokens live. /api/health uses it to say when a previous key can no longer
-- verify any live token, so the operator knows when SECRET_KEY_PREVIOUS may go.
-- Times are unix milliseconds.
CREATE TABLE signing_key_usage (
  kid TEXT PRIMARY KEY,
  first_signed_at INTEGER NOT NULL,
  last_signed_at INTEGER NOT NULL,
  last_expires_at INTEGER NOT NULL
);
