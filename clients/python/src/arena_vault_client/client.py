"""The synchronous client: ``VaultClient`` and its ``Lease``.

    client = VaultClient("https://vault.example.org", os.environ["ARENA_VAULT_API_KEY"])
    with client.lease("serper", "medium", task_id="query-42") as lease:
        search(lease.fields["api_key"])      # released on exit; an exception is reported

Every call is one HTTPS request to ``/api/pool/*`` (docs/api/pool.md). The
client is thread-safe: it holds no connection and no mutable state.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator

from ._core import AcquireRetry, SecretFields, Transport, block_outcome, report_body, request_body
from .errors import VaultError


def parse_time(value: Any) -> datetime | None:
    """The vault's ISO 8601 UTC time (``2026-11-28T10:10:00.000Z``) as an aware datetime."""
    if not isinstance(value, str):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class LeaseData:
    """What ``acquire`` returned. ``fields`` is a dict whose repr hides the
    values; ``expires_at`` an aware UTC ``datetime`` (moved by ``renew``)."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.lease_id: str = body["lease_id"]
        self.credential_id: int = body["credential_id"]
        self.platform: str = body.get("platform", "")
        self.tier: str = body.get("tier", "")
        self.fields: SecretFields = SecretFields(body.get("fields") or {})
        self.expires_at: datetime | None = parse_time(body.get("expires_at"))
        self.ended = False
        """True once ``release`` or ``report_error`` was accepted."""

    def __repr__(self) -> str:
        expires = self.expires_at.isoformat() if self.expires_at else None
        return (
            f"{type(self).__name__}(lease_id={self.lease_id!r}, credential_id={self.credential_id}, "
            f"platform={self.platform!r}, tier={self.tier!r}, fields={self.fields!r}, expires_at={expires!r})"
        )

    __str__ = __repr__

    def _renewed(self, body: dict[str, Any]) -> dict[str, Any]:
        self.expires_at = parse_time(body.get("expires_at")) or self.expires_at
        return body

    def _ended(self, body: dict[str, Any]) -> dict[str, Any]:
        self.ended = True
        return body


class Lease(LeaseData):
    """A credential leased to one task. End it with ``release`` (it worked) or
    ``report_error`` (it did not); ``renew`` restarts its TTL."""

    def __init__(self, transport: Transport, body: dict[str, Any]) -> None:
        super().__init__(body)
        self._transport = transport

    def renew(self, ttl_seconds: int | None = None) -> dict[str, Any]:
        """Restarts the TTL from now → ``{lease_id, credential_id, expires_at}``.
        Raises ``CollectionLocked`` during a rotation, ``LeaseExpired`` past the TTL."""
        return self._renewed(self._transport.post("renew", request_body(lease_id=self.lease_id, ttl_seconds=ttl_seconds)))

    def release(self, units_used: int | None = None) -> dict[str, Any]:
        """Ends the lease as a success → ``{lease_id, credential_id, expired}``.
        ``units_used`` replaces the one quota unit counted at acquire."""
        return self._ended(self._transport.post("release", request_body(lease_id=self.lease_id, units_used=units_used)))

    def report_error(
        self,
        kind: str,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        units_used: int | None = None,
    ) -> dict[str, Any]:
        """Ends the lease as a failure and cools the credential down →
        ``{lease_id, credential_id, expired, cooldown_until, deactivated}``.

        ``kind``: ``rate_limited``, ``auth_failed``, ``quota_exhausted`` or
        ``other``. ``retry_after``: seconds the platform asked to wait.
        ``message`` is accepted for the original platform's habit of passing
        one, but is **never sent**: the vault's report-error has no message
        field, and a platform's error text can quote the very key that failed.
        """
        del message  # never sent, stored or logged (see docstring)
        return self._ended(self._transport.post("report-error", report_body(self.lease_id, kind, retry_after, units_used)))


class VaultClient:
    """Synchronous client for the vault's pool API.

    ``url``: the vault's origin (``https://vault.example.org``); ``api_key``:
    a collector API key (``av_...``); ``timeout``: seconds per HTTP request.
    """

    def __init__(self, url: str, api_key: str, *, timeout: float = 30.0) -> None:
        self._transport = Transport(url, api_key, timeout)

    def __repr__(self) -> str:
        return f"VaultClient(url={self._transport.origin!r}, api_key='***')"

    __str__ = __repr__

    def acquire(
        self,
        platform: str,
        tier: str,
        task_id: str,
        ttl_seconds: int | None = None,
        *,
        wait: bool = False,
        timeout: float | None = None,
    ) -> Lease:
        """Leases a ``platform``/``tier`` credential for ``task_id`` (a label,
        1-200 printable characters). ``ttl_seconds``: 30-3600, default 600.

        Raises ``NoCredentialAvailable`` (nothing usable; ``.reason``,
        ``.retry_after``) or ``CollectionLocked`` (a rotation is running). With
        ``wait=True`` those two are retried after their Retry-After for as long
        as the next try falls within ``timeout`` seconds (no limit when None);
        a refusal without Retry-After (e.g. ``none_configured``) or past the
        deadline is raised at once.
        """
        request = request_body(platform=platform, tier=tier, task_id=task_id, ttl_seconds=ttl_seconds)
        retry = AcquireRetry(wait, timeout)
        while True:
            try:
                return Lease(self._transport, self._transport.post("acquire", request))
            except VaultError as e:
                delay = retry.delay(e)
                if delay is None:
                    raise
            time.sleep(delay)

    @contextmanager
    def lease(
        self,
        platform: str,
        tier: str,
        task_id: str,
        ttl_seconds: int | None = None,
        *,
        wait: bool = False,
        timeout: float | None = None,
    ) -> Iterator[Lease]:
        """``with client.lease(...) as lease:`` acquires (as ``acquire``),
        releases when the block ends normally, and when it raises, reports the
        error with the kind ``error_kind`` maps the exception to (and its
        ``retry_after`` attribute, if any) before the exception propagates.
        ``KeyboardInterrupt``, ``SystemExit`` and other ``BaseException``s
        that are not ``Exception``s release instead (they are not the
        credential's fault). A block that already ended the lease is left
        alone; if the report itself fails, the block's exception still
        propagates and the lease runs out by its TTL."""
        lease = self.acquire(platform, tier, task_id, ttl_seconds, wait=wait, timeout=timeout)
        try:
            yield lease
        except BaseException as exc:
            if not lease.ended:
                op, options = block_outcome(exc)
                try:
                    getattr(lease, op)(**options)
                except VaultError:
                    pass  # the block's own exception matters more; the lease runs out by its TTL
            raise
        if not lease.ended:
            lease.release()
