# STUB (arena-vault test harness), not SQLAlchemy. core/deduplication.py imports these names at
# import time for its database helpers, which no collector calls.


def _unavailable(*_args, **_kwargs):
    raise RuntimeError("SQLAlchemy is stubbed in arena-vault's test harness (no database here)")


func = select = text = update = _unavailable
