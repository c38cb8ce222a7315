# STUB (arena-vault test harness), not the original file. core/deduplication.py imports the ORM model
# at import time for its database queries, which no collector calls; only compute_simhash (pure
# Python) runs during normalisation.


class UniversalContentRecord:
    """Import-time placeholder for the ORM model."""
