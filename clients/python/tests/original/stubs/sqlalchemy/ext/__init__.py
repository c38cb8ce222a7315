# STUB (arena-vault test harness), not SQLAlchemy.
