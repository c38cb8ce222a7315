"""The synchronous client: ``VaultClient`` and its ``Lease``.

    client = VaultClient()                   # $ARENA_VAULT_URL, $ARENA_VAULT_API_KEY
    with client.lease("serper", "medium", task_id="query-42") as lease:
        search(lease.fields["api_key"])      # renewed in the background; released on exit

Every call is one HTTPS request to ``/api/pool/*`` (docs/api/pool.md), retried
as ``Transport`` says. The client is thread-safe: it holds no connection and
no mutable state.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator

from ._core import (
    DEFAULT_BACKOFF,
    DEFAULT_RETRIES,
    AcquireRetry,
    SecretFields,
    Transport,
    block_outcome,
    check_mode,
    clear_cooldown_call,
    configured,
    cooldown_call,
    credential_call,
    expires_at_call,
    list_credentials_call,
    logger,
    renew_interval,
    report_body,
    request_body,
)
from .errors import CollectionLocked, LeaseExpired, VaultError

#: The vault's lease TTL when acquire names none.
DEFAULT_TTL_SECONDS = 600


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
        self.mode: str = body.get("mode", "exclusive")
        """The mode the vault granted: ``exclusive`` or ``shared``."""
        self.ttl_seconds: int = DEFAULT_TTL_SECONDS
        """The TTL asked for at acquire; renewals ask for it again."""
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

    def _fields_updated(self, fields: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        self.fields = SecretFields(fields)
        return body


def update_fields_body(lease_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(fields, dict) or not fields:
        raise ValueError("fields must be a non-empty dict of the credential's field names and new values")
    return {"lease_id": lease_id, "fields": dict(fields)}


def renewal_failed(lease: LeaseData, error: VaultError) -> bool:
    """Logs a failed background renewal (code only); True when renewing again is pointless."""
    if isinstance(error, LeaseExpired):
        logger.warning("lease %s: background renewal stopped: %s", lease.lease_id, error.code)
        return True
    level = "info" if isinstance(error, CollectionLocked) else "warning"
    getattr(logger, level)("lease %s: background renewal failed: %s (tried again later)", lease.lease_id, error.code)
    return False


class _Renewer:
    """Renews a lease every third of its TTL on a daemon thread until ``stop()``."""

    def __init__(self, lease: Lease) -> None:
        self._lease = lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"arena-vault-renew-{lease.lease_id}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(renew_interval(self._lease.ttl_seconds)):
            try:
                self._lease.renew(self._lease.ttl_seconds)
            except VaultError as e:
                if renewal_failed(self._lease, e):
                    return

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


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

    def update_fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Replaces the credential's secret fields with ``fields`` (e.g. a
        refreshed OAuth token) → ``{lease_id, credential_id, updated_at}``.
        The vault validates them against the platform's registry entry,
        re-encrypts them and serves them to the next acquire; ``self.fields``
        becomes ``fields``. Raises ``LeaseExpired`` once the lease has ended,
        ``ValidationFailed`` for fields the platform does not accept."""
        body = update_fields_body(self.lease_id, fields)
        return self._fields_updated(body["fields"], self._transport.post("update-fields", body))


class VaultClient:
    """Synchronous client for the vault's pool API.

    ``url``: the vault's origin (``https://vault.example.org``), default
    ``$ARENA_VAULT_URL``; ``api_key``: a collector API key (``av_...``),
    default ``$ARENA_VAULT_API_KEY``; ``timeout``: seconds per HTTP request;
    ``retries``: retries after a failed try (0 turns them off), waiting
    ``backoff`` seconds, then twice as long each time, and never for a call
    that may have granted a lease (``Transport``).
    """

    def __init__(
        self,
        url: str | None = None,
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
    ) -> None:
        url, api_key = configured(url, api_key, "VaultClient")
        self._transport = Transport(url, api_key, timeout, retries, backoff)

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
        mode: str = "exclusive",
        wait: bool = False,
        timeout: float | None = None,
    ) -> Lease:
        """Leases a ``platform``/``tier`` credential for ``task_id`` (a label,
        1-200 printable characters). ``ttl_seconds``: 30-3600, default 600.
        ``mode``: ``exclusive`` (at most the credential's ``max_leases``
        holders) or ``shared`` (never refused for concurrency; the vault
        grants ``exclusive`` when the credential's sharing is ``never``;
        ``lease.mode`` says which).

        Raises ``NoCredentialAvailable`` (nothing usable; ``.reason``,
        ``.retry_after``) or ``CollectionLocked`` (a rotation is running). With
        ``wait=True`` those two are retried after their Retry-After for as long
        as the next try falls within ``timeout`` seconds (no limit when None);
        a refusal without Retry-After (e.g. ``none_configured``) or past the
        deadline is raised at once.
        """
        request = request_body(platform=platform, tier=tier, task_id=task_id, ttl_seconds=ttl_seconds, mode=check_mode(mode))
        retry = AcquireRetry(wait, timeout)
        while True:
            try:
                lease = Lease(self._transport, self._transport.post("acquire", request))
                lease.ttl_seconds = ttl_seconds or DEFAULT_TTL_SECONDS
                return lease
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
        mode: str = "exclusive",
        wait: bool = False,
        timeout: float | None = None,
    ) -> Iterator[Lease]:
        """``with client.lease(...) as lease:`` acquires (as ``acquire``),
        renews the lease on a background thread every third of its TTL while
        the block runs (a failed renewal is logged and tried again; an
        expired lease stops it), stops renewing when the block ends, then
        releases when the block ended normally, and when it raised, reports
        the error with the kind ``error_kind`` maps the exception to (and its
        ``retry_after`` attribute, if any) before the exception propagates.
        ``KeyboardInterrupt``, ``SystemExit`` and other ``BaseException``s
        that are not ``Exception``s release instead (they are not the
        credential's fault). A block that already ended the lease is left
        alone; if the report itself fails, the block's exception still
        propagates and the lease runs out by its TTL."""
        lease = self.acquire(platform, tier, task_id, ttl_seconds, mode=mode, wait=wait, timeout=timeout)
        renewer = _Renewer(lease)
        try:
            yield lease
        except BaseException as exc:
            renewer.stop()
            if not lease.ended:
                op, options = block_outcome(exc)
                try:
                    getattr(lease, op)(**options)
                except VaultError:
                    pass  # the block's own exception matters more; the lease runs out by its TTL
            raise
        renewer.stop()
        if not lease.ended:
            lease.release()

    # -- Credential metadata (never a field value) ---------------------------

    def credentials(self, platform: str, tier: str) -> list[dict[str, Any]]:
        """The ``platform``/``tier`` credentials: ``{id, name, platform, tier,
        active, expires_at, cooldown_until}`` each, never a field value."""
        return self._transport.request(*list_credentials_call(platform, tier))["credentials"]

    def credential(self, credential_id: int | str) -> dict[str, Any]:
        """One credential's metadata (as ``credentials``); ``CredentialNotFound`` if none."""
        return self._transport.request(*credential_call(credential_id))

    def set_cooldown(self, credential_id: int | str, seconds: float, reason: str) -> dict[str, Any]:
        """Cools the credential down for ``seconds``, for every worker →
        ``{credential_id, cooldown_until}``. Needs a lease on it, held by this
        key now or within the last hour (else ``NotARecentHolder``)."""
        return self._transport.request(*cooldown_call(credential_id, seconds, reason))

    def clear_cooldown(self, credential_id: int | str) -> None:
        """Clears a cooldown set by ``set_cooldown`` (same holder rule)."""
        self._transport.request(*clear_cooldown_call(credential_id))

    def set_expires_at(self, credential_id: int | str, expires_at: datetime | str | None) -> dict[str, Any]:
        """Sets the credential's token expiry (None clears it) → ``{credential_id, expires_at}``."""
        return self._transport.request(*expires_at_call(credential_id, expires_at))
