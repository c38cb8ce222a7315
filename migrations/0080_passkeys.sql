-- Passkeys and recovery codes (issue 22).
-- passkeys: a user's WebAuthn credentials. Only the public key is kept
-- (COSE, base64url); the counter is the authenticator's signature counter
-- (0 when the authenticator keeps none). A deleted user takes theirs along.
CREATE TABLE passkeys (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  credential_id TEXT NOT NULL,
  public_key TEXT NOT NULL,
  counter INTEGER NOT NULL DEFAULT 0,
  transports TEXT NOT NULL DEFAULT '[]',
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE UNIQUE INDEX passkeys_credential_id_unique ON passkeys (credential_id);
CREATE INDEX passkeys_user ON passkeys (user_id);

-- webauthn_challenges: every challenge handed out, single-use, expiring after
-- five minutes. used_at is set by the one UPDATE that consumes it; used_by is
-- the SHA-256 of the response that used it, so a replay of that very response
-- is told apart from another response to a used challenge.
CREATE TABLE webauthn_challenges (
  challenge TEXT PRIMARY KEY,
  purpose TEXT NOT NULL CHECK (purpose IN ('register', 'login')),
  user_id INTEGER,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  used_by TEXT
);
CREATE INDEX webauthn_challenges_expiry ON webauthn_challenges (expires_at);

-- recovery_codes: SHA-256 (hex) of each code, never the code. A new set
-- replaces the old one; a used code keeps its row with used_at set.
CREATE TABLE recovery_codes (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE UNIQUE INDEX recovery_codes_hash_unique ON recovery_codes (code_hash);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);
