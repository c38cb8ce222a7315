"""``AsyncVaultClient``: the same surface as ``VaultClient`` for asyncio.

    async with client.lease("serper", "medium", task_id="query-42") as lease:
        await search(lease.fields["api_key"])

Standard library only: each HTTP request is the sync client's urllib call,
run in the event loop's default thread-pool executor
(``loop.run_in_executor(None, ...)``), so it never blocks the loop; waiting
for a Retry-After is ``asyncio.sleep``. Concurrency is therefore bounded by
that executor's threads (``min(32, cpu + 4)`` by default).
"""

from __future__ import annotations

import asyncio
import time
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, AsyncIterator

from ._core import Transport, acquire_body, error_kind, exception_retry_after, report_body, wait_seconds
from .client import LeaseData
from .errors import VaultError


async def _post(transport: Transport, op: str, body: dict[str, Any]) -> dict[str, Any]:
    return await asyncio.get_running_loop().run_in_executor(None, partial(transport.post, op, body))


class AsyncLease(LeaseData):
    """``Lease`` with awaitable ``renew``, ``release`` and ``report_error``."""

    def __init__(self, transport: Transport, body: dict[str, Any]) -> None:
        super().__init__(body)
        self._transport = transport

    async def renew(self, ttl_seconds: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"lease_id": self.lease_id}
        if ttl_seconds is not None:
            body["ttl_seconds"] = ttl_seconds
        return self._renewed(await _post(self._transport, "renew", body))

    async def release(self, units_used: int | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"lease_id": self.lease_id}
        if units_used is not None:
            body["units_used"] = units_used
        return self._ended(await _post(self._transport, "release", body))

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


class AsyncVaultClient:
    """Asyncio client for the vault's pool API; arguments as ``VaultClient``."""

    def __init__(self, url: str, api_key: str, *, timeout: float = 30.0) -> None:
        self._transport = Transport(url, api_key, timeout)

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
        wait: bool = False,
        timeout: float | None = None,
    ) -> AsyncLease:
        """As ``VaultClient.acquire``."""
        body = acquire_body(platform, tier, task_id, ttl_seconds)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                return AsyncLease(self._transport, await _post(self._transport, "acquire", body))
            except VaultError as e:
                delay = wait_seconds(e, time.monotonic(), deadline) if wait else None
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
        wait: bool = False,
        timeout: float | None = None,
    ) -> AsyncIterator[AsyncLease]:
        """As ``VaultClient.lease``: ``async with client.lease(...) as lease:``."""
        lease = await self.acquire(platform, tier, task_id, ttl_seconds, wait=wait, timeout=timeout)
        try:
            yield lease
        except Exception as exc:
            if not lease.ended:
                try:
                    await lease.report_error(error_kind(exc), retry_after=exception_retry_after(exc))
                except VaultError:
                    pass
            raise
        except BaseException:
            if not lease.ended:
                try:
                    await asyncio.shield(lease.release())
                except (VaultError, asyncio.CancelledError):
                    pass
            raise
        if not lease.ended:
            await lease.release()
