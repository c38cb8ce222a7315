-- Pool (issue 5): how many leases one credential may have at once. Most API
-- keys must not be shared between concurrent tasks, so the default is 1.
ALTER TABLE api_credentials ADD COLUMN max_leases INTEGER NOT NULL DEFAULT 1 CHECK (max_leases >= 1);
