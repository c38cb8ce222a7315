# STUB (arena-vault test harness), not SQLAlchemy: a type annotation target only.


class AsyncSession:
    """Import-time placeholder."""
