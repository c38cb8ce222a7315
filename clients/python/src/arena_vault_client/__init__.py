"""arena_vault_client: the Python client of arena-vault's credential pool.

Sync ``VaultClient``, asyncio ``AsyncVaultClient``, the error family rooted
at ``VaultError``, and ``arena_vault_client.compat.CredentialPool``, a
drop-in for the original platform's pool. Standard library only.

Logs go to the ``arena_vault_client`` logger, which has a ``NullHandler``:
configure logging in the application to see them.
"""

import logging as _logging

from ._core import SecretFields, error_kind
from ._version import __version__
from .aio import AsyncLease, AsyncVaultClient
from .client import Lease, VaultClient
from .errors import (
    CollectionLocked,
    Conflict,
    CredentialNotFound,
    Forbidden,
    InvalidRequest,
    LeaseExpired,
    NoCredentialAvailable,
    NotARecentHolder,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
    ValidationFailed,
    VaultError,
)

_logging.getLogger("arena_vault_client").addHandler(_logging.NullHandler())

__all__ = [
    "__version__",
    "AsyncLease",
    "AsyncVaultClient",
    "CollectionLocked",
    "Conflict",
    "CredentialNotFound",
    "Forbidden",
    "InvalidRequest",
    "Lease",
    "LeaseExpired",
    "NoCredentialAvailable",
    "NotARecentHolder",
    "NotFound",
    "RateLimited",
    "SecretFields",
    "ServerError",
    "TransportError",
    "Unauthorized",
    "ValidationFailed",
    "VaultError",
    "VaultClient",
    "error_kind",
]
