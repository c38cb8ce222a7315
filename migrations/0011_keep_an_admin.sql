-- The vault must never lose its last active admin (nobody could manage users,
-- credentials or rotations any more). The app checks this before it writes;
-- this trigger is the backstop for two admins demoting each other at once:
-- the losing write aborts, and its whole D1 batch (with its audit event) rolls back.
CREATE TRIGGER users_keep_an_active_admin
BEFORE UPDATE OF role, is_active ON users
WHEN OLD.role = 'admin' AND OLD.is_active = 1
  AND (NEW.role <> 'admin' OR NEW.is_active = 0)
  AND (SELECT count(*) FROM users WHERE role = 'admin' AND is_active = 1 AND id <> OLD.id) = 0
BEGIN
  SELECT RAISE(ABORT, 'LAST_ACTIVE_ADMIN');
END;
