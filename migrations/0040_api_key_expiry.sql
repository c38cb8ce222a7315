-- Security (issue 12): an API key may carry an expiry. From expires_at on it is
-- refused exactly as a revoked key is. NULL = no expiry (every existing key).
ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;
