# THE ONE CHANGED LINE (arena-vault test harness): the original module's pool is replaced by the vault's
# drop-in; every collector's `from issue_observatory.core.credential_pool import ...` now gets compat.
from arena_vault_client.compat import CredentialPool, get_credential_pool  # noqa: F401
