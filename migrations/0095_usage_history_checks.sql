-- Issue 23: usage history per credential and UTC day, and the last live
-- check of each credential with its provider.
--
-- credential_usage_days: written by the CredentialPool's write-back (its
--   alarm flush, src/pool/usage-days.ts) as increments: leases granted,
--   units used (the units the pool counts against the daily quota) and the
--   errors reported, by kind. `day` is the UTC date, YYYY-MM-DD. Rows older
--   than 400 days are pruned by the same flush, once per day.
CREATE TABLE credential_usage_days (
  credential_id INTEGER NOT NULL,
  day TEXT NOT NULL,
  leases INTEGER NOT NULL DEFAULT 0,
  units INTEGER NOT NULL DEFAULT 0,
  rate_limited INTEGER NOT NULL DEFAULT 0,
  auth_failed INTEGER NOT NULL DEFAULT 0,
  quota_exhausted INTEGER NOT NULL DEFAULT 0,
  other INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (credential_id, day)
);
CREATE INDEX credential_usage_days_day ON credential_usage_days (day);

-- credential_checks: the last "check with provider" of each credential
--   (POST /api/credentials/:id/check, or the optional daily check). `detail`
--   is the provider's HTTP status and a fixed summary, never a value sent.
CREATE TABLE credential_checks (
  credential_id INTEGER PRIMARY KEY,
  result TEXT NOT NULL CHECK (result IN ('ok', 'auth_failed', 'rate_limited', 'unreachable', 'unsupported')),
  checked_at INTEGER NOT NULL,
  detail TEXT NOT NULL
);
