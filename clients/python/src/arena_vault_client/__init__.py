"""arena_vault_client: the Python client of arena-vault's credential pool.

Sync ``VaultClient``, asyncio ``AsyncVaultClient``, the error family rooted
at ``VaultError``, and ``arena_vault_client.compat.CredentialPool``, a
drop-in for the original platform's pool. Standard library only.
"""

from ._core import SecretFields, error_kind
from .aio import AsyncLease, AsyncVaultClient
from .client import Lease, VaultClient
from .errors import (
    CollectionLocked,
    Conflict,
    Forbidden,
    InvalidRequest,
    LeaseExpired,
    NoCredentialAvailable,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
    ValidationFailed,
    VaultError,
)

__all__ = [
    "AsyncLease",
    "AsyncVaultClient",
    "CollectionLocked",
    "Conflict",
    "Forbidden",
    "InvalidRequest",
    "Lease",
    "LeaseExpired",
    "NoCredentialAvailable",
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
