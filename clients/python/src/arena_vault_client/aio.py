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
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, AsyncIterator

from ._core import AcquireRetry, Transport, block_outcome, report_body, request_body
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
        request = request_body(platform=platform, tier=tier, task_id=task_id, ttl_seconds=ttl_seconds)
        retry = AcquireRetry(wait, timeout)
        while True:
            try:
                return AsyncLease(self._transport, await _post(self._transport, "acquire", request))
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
        wait: bool = False,
        timeout: float | None = None,
    ) -> AsyncIterator[AsyncLease]:
        """As ``VaultClient.lease``: ``async with client.lease(...) as lease:``."""
        lease = await self.acquire(platform, tier, task_id, ttl_seconds, wait=wait, timeout=timeout)
        try:
            yield lease
        except BaseException as exc:
            if not lease.ended:
                op, options = block_outcome(exc)
                try:
                    # Shielded: a cancelled task still ends its lease.
                    await asyncio.shield(getattr(lease, op)(**options))
                except (VaultError, asyncio.CancelledError):
                    pass
            raise
        if not lease.ended:
            await lease.release()
