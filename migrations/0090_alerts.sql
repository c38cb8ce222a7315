-- Issue 23: alerts, their destinations and the delivery outbox.
--
-- alerts: one row per alert episode. An alert is open while resolved_at is
--   NULL; the partial unique index keeps at most one open alert per
--   (kind, subject), so repeated checks never open it twice.
--   silenced_until (unix ms): deliveries of this alert are muted until then.
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
  summary TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  resolved_at INTEGER,
  silenced_until INTEGER
);
CREATE UNIQUE INDEX alerts_one_open ON alerts (kind, subject) WHERE resolved_at IS NULL;
CREATE INDEX alerts_opened_at ON alerts (opened_at);

-- alert_destinations: where alerts are sent. The URL (a Slack webhook URL
-- holds a token) and the json kind's signing secret are sealed together like
-- a credential: encrypted_value is the Fernet token of
-- {"url": …, "signing_secret": …} under the credential key key_id. Only the
-- URL's host is stored in the clear, to show.
CREATE TABLE alert_destinations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('slack', 'json')),
  name TEXT NOT NULL,
  url_host TEXT NOT NULL,
  encrypted_value TEXT NOT NULL,
  key_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL
);

-- alert_deliveries: the outbox and the delivery log in one. A row per message
-- per destination; status 'pending' until delivered or given up ('failed').
-- body is the message (kind, subject, severity, summary, times: never a
-- credential field, a key or a URL).
CREATE TABLE alert_deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  destination_id INTEGER NOT NULL REFERENCES alert_destinations (id) ON DELETE CASCADE,
  alert_id INTEGER,
  event TEXT NOT NULL CHECK (event IN ('opened', 'resolved', 'test')),
  body TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  next_attempt_at INTEGER,
  last_attempt_at INTEGER,
  last_status INTEGER,
  last_error TEXT
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (status, next_attempt_at);
CREATE INDEX alert_deliveries_created ON alert_deliveries (created_at);
