"""``AsyncVaultClient``: the same surface as ``VaultClient`` for asyncio.

    async with client.lease("serper", "medium", task_id="query-42") as lease:
        await search(lease.fields["api_key"])

Standard library only: each HTTP request is the sync client's urllib call
(retries included), run in the event loop's default thread-pool executor
(``loop.run_in_executor(None, ...)``), so it never blocks the loop; waiting
for a Retry-After is ``asyncio.sleep``. Concurrency is therefore bounded by
that executor's threads (``min(32, cpu + 4)`` by default).
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from functools import partial
from typing import Any, AsyncIterator

from ._core import (
    DEFAULT_BACKOFF,
    DEFAULT_RETRIES,
    AcquireRetry,
    Transport,
    block_outcome,
    check_mode,
    clear_cooldown_call,
    configured,
    cooldown_call,
    credential_call,
    expires_at_call,
    list_credentials_call,
    renew_interval,
    report_body,
    request_body,
)
from .client import DEFAULT_TTL_SECONDS, LeaseData, renewal_failed, update_fields_body
from .errors import VaultError


async def _request(transport: Transport, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, partial(transport.request, method, path, body))


async def _post(transport: Transport, op: str, body: dict[str, Any]) -> dict[str, Any]:
    return await asyncio.get_running_loop().run_in_executor(None, partial(transport.post, op, body))


class AsyncLease(LeaseData):
    """``Lease`` with awaitable ``renew``, ``release``, ``report_error`` and ``update_fields``."""

    def __init__(self, transport: Transport, body: dict[str, Any]) -> None:
        super().__init__(body)
        self._transport = transport

    async def renew(self, ttl_seconds: int | None = None) -> dict[str, Any]:
        return self._renewed(await _post(self._transport, "renew", request_body(lease_id=self.lease_id, ttl_seconds=ttl_seconds)))

    async def release(self, units_used: int | None = None) -> dict[str, Any]:
        return self._ended(await _post(self._transport, "release", request_body(lease_id=self.lease_id, units_used=units_used)))

    async def report_error(
        self,
        kind: str,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        units_used: int | None = None,
    ) -> dict[str, Any]:
        """As ``Lease.report_error``: ``message`` is never sent."""
        del message
        return self._ended(await _post(self._transport, "report-error", report_body(self.lease_id, kind, retry_after, units_used)))

    async def update_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        """As ``Lease.update_fields``."""
        body = update_fields_body(self.lease_id, fields)
        return self._fields_updated(body["fields"], await _post(self._transport, "update-fields", body))


async def _renew_forever(lease: AsyncLease) -> None:
    """Renews every third of the TTL until cancelled (or the lease expired)."""
    while True:
        await asyncio.sleep(renew_interval(lease.ttl_seconds))
        try:
            await lease.renew(lease.ttl_seconds)
        except VaultError as e:
            if renewal_failed(lease, e):
                return


class AsyncVaultClient:
    """Asyncio client for the vault's pool API; arguments as ``VaultClient``."""

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
    ) -> None:
        url, api_key = configured(url, api_key, "AsyncVaultClient")
        self._transport = Transport(url, api_key, timeout, retries, backoff)

    def __repr__(self) -> str:
        return f"AsyncVaultClient(url={self._transport.origin!r}, api_key='***')"

    __str__ = __repr__

    async def acquire(
        self,
        platform: str,
        tier: str,
        task_id: str,
        ttl_seconds: int | None = None,
        *,
        mode: str = "exclusive",
        wait: bool = False,
        timeout: float | None = None,
    ) -> AsyncLease:
        """As ``VaultClient.acquire``."""
        request = request_body(platform=platform, tier=tier, task_id=task_id, ttl_seconds=ttl_seconds, mode=check_mode(mode))
        retry = AcquireRetry(wait, timeout)
        while True:
            try:
                lease = AsyncLease(self._transport, await _post(self._transport, "acquire", request))
                lease.ttl_seconds = ttl_seconds or DEFAULT_TTL_SECONDS
                return lease
            except VaultError as e:
                delay = retry.delay(e)
                if delay is None:
                    raise
            await asyncio.sleep(delay)

    @asynccontextmanager
    async def lease(
        self,
        platform: str,
        tier: str,
        task_id: str,
        ttl_seconds: int | None = None,
        *,
        mode: str = "exclusive",
        wait: bool = False,
        timeout: float | None = None,
    ) -> AsyncIterator[AsyncLease]:
        """As ``VaultClient.lease``: ``async with client.lease(...) as lease:``,
        renewed by a background task every third of the TTL while the block runs."""
        lease = await self.acquire(platform, tier, task_id, ttl_seconds, mode=mode, wait=wait, timeout=timeout)
        renewer = asyncio.ensure_future(_renew_forever(lease))
        try:
            yield lease
        except BaseException as exc:
            await _stop(renewer)
            if not lease.ended:
                op, options = block_outcome(exc)
                try:
                    # Shielded: a cancelled task still ends its lease.
                    await asyncio.shield(getattr(lease, op)(**options))
                except (VaultError, asyncio.CancelledError):
                    pass
            raise
        await _stop(renewer)
        if not lease.ended:
            await lease.release()

    # -- Credential metadata (never a field value): as VaultClient -----------

    async def credentials(self, platform: str, tier: str) -> list[dict[str, Any]]:
        return (await _request(self._transport, *list_credentials_call(platform, tier)))["credentials"]

    async def credential(self, credential_id: int | str) -> dict[str, Any]:
        return await _request(self._transport, *credential_call(credential_id))

    async def set_cooldown(self, credential_id: int | str, seconds: float, reason: str) -> dict[str, Any]:
        return await _request(self._transport, *cooldown_call(credential_id, seconds, reason))

    async def clear_cooldown(self, credential_id: int | str) -> None:
        await _request(self._transport, *clear_cooldown_call(credential_id))

    async def set_expires_at(self, credential_id: int | str, expires_at: datetime | str | None) -> dict[str, Any]:
        return await _request(self._transport, *expires_at_call(credential_id, expires_at))


async def _stop(task: asyncio.Future) -> None:
    task.cancel()
    with suppress(asyncio.CancelledError):
        await task
