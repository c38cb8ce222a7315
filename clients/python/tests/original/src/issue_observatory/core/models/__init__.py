# STUB (arena-vault test harness): the original package holds the SQLAlchemy ORM models (PostgreSQL).
