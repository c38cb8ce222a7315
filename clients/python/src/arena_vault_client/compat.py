"""A drop-in for the original platform's ``CredentialPool``: change one import.

    # from issue_observatory.core.credential_pool import CredentialPool
    from arena_vault_client.compat import CredentialPool

    pool = CredentialPool()                     # ARENA_VAULT_URL, ARENA_VAULT_API_KEY
    cred = await pool.acquire("serper", "medium", task_id=self.request.id)
    if cred is None:
        raise NoCredentialError(...)            # nothing available, as before
    try:
        call(cred["api_key"])
    except ArenaRateLimitError as e:
        await pool.report_error(cred["id"], e)  # → kind rate_limited
    else:
        await pool.release(cred["id"], task_id=self.request.id)

The signatures and return values are the original's. Underneath, each
acquire is a vault lease; the lease ids are kept here, keyed by
``(credential_id, task_id)``, so ``release`` and ``report_error`` find them.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from ._core import ERROR_KINDS, SecretFields, error_kind, exception_retry_after
from .aio import AsyncLease, AsyncVaultClient
from .errors import CollectionLocked, LeaseExpired, NoCredentialAvailable

URL_ENV = "ARENA_VAULT_URL"
API_KEY_ENV = "ARENA_VAULT_API_KEY"
#: The vault requires a task label; an acquire without ``task_id`` sends this prefix plus a random suffix.
ANONYMOUS_TASK_PREFIX = "compat-"


class CredentialPool:
    """``url`` / ``api_key`` default to ``$ARENA_VAULT_URL`` /
    ``$ARENA_VAULT_API_KEY``; a missing one is a ``ValueError`` naming the
    variable."""

    def __init__(self, url: str | None = None, api_key: str | None = None) -> None:
        url = url if url is not None else os.environ.get(URL_ENV)
        api_key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        if not url:
            raise ValueError(f"CredentialPool needs the vault's URL: pass url= or set {URL_ENV}")
        if not api_key:
            raise ValueError(f"CredentialPool needs a collector API key: pass api_key= or set {API_KEY_ENV}")
        self._client = AsyncVaultClient(url, api_key)
        self._leases: dict[tuple[int, str | None], list[AsyncLease]] = {}

    def __repr__(self) -> str:
        held = sum(len(v) for v in self._leases.values())
        return f"CredentialPool(client={self._client!r}, leases_held={held})"

    __str__ = __repr__

    async def acquire(self, platform: str, tier: str, task_id: str | None = None) -> dict[str, Any] | None:
        """A credential as a dict: ``id``, ``platform``, ``tier`` and every
        decrypted field (plus ``api_key`` = the first field when no field has
        that name), or ``None`` when nothing is available (no usable
        credential, or collection locked by a key rotation). Other failures
        raise ``VaultError``."""
        label = task_id if task_id is not None else ANONYMOUS_TASK_PREFIX + uuid.uuid4().hex
        try:
            lease = await self._client.acquire(platform, tier, label)
        except (NoCredentialAvailable, CollectionLocked):
            return None
        self._leases.setdefault((lease.credential_id, task_id), []).append(lease)
        cred = SecretFields(id=lease.credential_id, platform=lease.platform, tier=lease.tier)
        cred.update(lease.fields)
        if "api_key" not in lease.fields and lease.fields:
            cred["api_key"] = next(iter(lease.fields.values()))
        return cred

    def _take(self, credential_id: int, task_id: str | None) -> AsyncLease | None:
        """The oldest lease held for (credential_id, task_id); with task_id None,
        any lease of that credential (the original's release ignored task_id)."""
        key = (credential_id, task_id)
        if key not in self._leases and task_id is None:
            key = next((k for k in self._leases if k[0] == credential_id), key)
        held = self._leases.get(key)
        if not held:
            return None
        lease = held.pop(0)
        if not held:
            del self._leases[key]
        return lease

    async def release(self, credential_id: int, task_id: str | None = None, platform: str | None = None) -> None:
        """Gives the credential back (a vault ``release``). Releasing one this
        pool holds no lease for, or whose lease already ended, is a no-op, as
        the original's was. ``platform`` is accepted and unused."""
        lease = self._take(credential_id, task_id)
        if lease is None:
            return
        try:
            await lease.release()
        except LeaseExpired:
            pass

    async def report_error(self, credential_id: int, error: BaseException | str, platform: str | None = None) -> None:
        """Reports that the credential failed and ends its lease. ``error``: the
        exception (its class name gives the kind: ``*RateLimitError`` →
        ``rate_limited``, ``*AuthError`` → ``auth_failed``, else ``other``; its
        ``retry_after`` attribute, if numeric, is passed on) or a string (a
        vault kind name is used as is, anything else is ``other``). The error
        text is never sent. No lease held → no-op."""
        lease = self._take(credential_id, _task_of(self._leases, credential_id))
        if lease is None:
            return
        if isinstance(error, BaseException):
            kind, retry_after = error_kind(error), exception_retry_after(error)
        else:
            kind, retry_after = (error if error in ERROR_KINDS else "other"), None
        try:
            await lease.report_error(kind, retry_after=retry_after)
        except LeaseExpired:
            pass


def _task_of(leases: dict[tuple[int, str | None], list[AsyncLease]], credential_id: int) -> str | None:
    """report_error has no task_id: the first task holding this credential."""
    return next((k[1] for k in leases if k[0] == credential_id), None)
