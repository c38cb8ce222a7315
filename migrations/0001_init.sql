-- arena-vault initial schema. Times are unix milliseconds (INTEGER).
-- See docs/data-model.md for what each column means.

CREATE TABLE users (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email TEXT NOT NULL COLLATE NOCASE,
  hashed_password TEXT NOT NULL,
  display_name TEXT NOT NULL DEFAULT '',
  role TEXT NOT NULL DEFAULT 'researcher' CHECK (role IN ('admin', 'researcher')),
  is_active INTEGER NOT NULL DEFAULT 1,
  token_version INTEGER NOT NULL DEFAULT 0,
  last_login_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email_unique ON users (email COLLATE NOCASE);

CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  scope TEXT NOT NULL CHECK (scope IN ('collector', 'admin')),
  user_id INTEGER REFERENCES users (id),
  key_prefix TEXT NOT NULL,
  key_hash TEXT NOT NULL,
  created_by INTEGER REFERENCES users (id),
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);
CREATE UNIQUE INDEX api_keys_prefix_unique ON api_keys (key_prefix);

CREATE TABLE login_throttle (
  bucket TEXT PRIMARY KEY,
  failures INTEGER NOT NULL DEFAULT 0,
  window_started_at INTEGER NOT NULL,
  locked_until INTEGER
);

CREATE TABLE api_credentials (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  platform TEXT NOT NULL,
  tier TEXT NOT NULL CHECK (tier IN ('free', 'medium', 'premium')),
  credential_name TEXT NOT NULL,
  encrypted_value TEXT NOT NULL,
  key_id TEXT NOT NULL,
  is_active INTEGER NOT NULL DEFAULT 1,
  daily_quota INTEGER,
  monthly_quota INTEGER,
  last_used_at INTEGER,
  last_error_at INTEGER,
  error_count INTEGER NOT NULL DEFAULT 0,
  notes TEXT,
  created_by INTEGER REFERENCES users (id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX api_credentials_platform_tier_active ON api_credentials (platform, tier, is_active);
CREATE INDEX api_credentials_key_id ON api_credentials (key_id, id);

CREATE TABLE query_designs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  owner_id INTEGER NOT NULL REFERENCES users (id),
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  arenas_config TEXT NOT NULL DEFAULT '{"arenas":[]}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX query_designs_owner ON query_designs (owner_id);

CREATE TABLE audit_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  ip TEXT,
  detail TEXT
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_action ON audit_events (action, at);

-- Lost-key recovery: what a purge disabled, so it can be re-enabled exactly.
CREATE TABLE recovery_actions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  actor TEXT NOT NULL,
  key_ids TEXT NOT NULL,
  purged_count INTEGER NOT NULL,
  disabled_arenas TEXT NOT NULL,
  reenabled_at INTEGER
);
