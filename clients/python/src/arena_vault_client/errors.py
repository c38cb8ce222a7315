"""The client's one error family: every failure is a ``VaultError``.

Each carries the vault's stable ``code`` (switch on it), the HTTP ``status``
and the vault's ``message``, which the vault guarantees is safe to show. The
client never puts a request body, a credential field or the API key into an
error, and it raises without chaining urllib's exception (whose traceback
would show the request).

Every error code of the pool API (docs/api/pool.md, docs/api.md) maps to a
class below; an unknown code still arrives as a plain ``VaultError``.
"""

from __future__ import annotations

from typing import Any, Mapping


class VaultError(Exception):
    """Base class. ``code``: the vault's error code (or a client-side one,
    ``TRANSPORT_FAILED`` / ``BAD_RESPONSE``); ``status``: the HTTP status (0
    when no response arrived); ``message``: safe to show; ``details``: the
    vault's ``error.details`` object, the code's extra facts (never secrets;
    empty when it sent none);
    ``retry_after``: seconds from the ``Retry-After`` header, or None."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 0,
        details: Mapping[str, Any] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
        self.retry_after = retry_after

    def __str__(self) -> str:
        return f"{self.code} ({self.status}): {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status}, message={self.message!r})"


class NoCredentialAvailable(VaultError):
    """404 ``NO_CREDENTIAL_AVAILABLE``. ``reason``: ``none_configured``,
    ``all_leased``, ``all_cooling_down``, ``quota_exhausted``, ``key_missing``
    or ``undecryptable``; ``retry_after``: seconds until one may be free (None
    when the vault cannot know, e.g. ``none_configured``)."""

    @property
    def reason(self) -> str | None:
        return self.details.get("reason")


class CollectionLocked(VaultError):
    """423 ``COLLECTION_LOCKED``: a key rotation holds the collection lock
    (acquire and renew are refused; release and report_error still work).
    ``retry_after`` is 30 seconds; ``locked_since`` is an ISO time."""

    @property
    def locked_since(self) -> str | None:
        return self.details.get("locked_since")


class Unauthorized(VaultError):
    """401 ``UNAUTHENTICATED``: no API key, or an unknown or revoked one."""


class Forbidden(Unauthorized):
    """403 ``FORBIDDEN``: the key's scope is not ``collector`` or ``admin``.
    A subclass of ``Unauthorized``: catching that covers both."""


class LeaseExpired(VaultError):
    """410 ``LEASE_EXPIRED``: renew or update-fields of an expired lease, or a
    lease that was never issued to this key. Acquire a new one."""


class CredentialNotFound(VaultError):
    """404 ``CREDENTIAL_NOT_FOUND``: no credential with that id (metadata
    reads, cooldown, expires-at)."""


class NotARecentHolder(Forbidden):
    """403 ``NOT_A_RECENT_HOLDER``: a cooldown by id needs a lease on that
    credential, held by this key now or within the last hour."""


class ValidationFailed(VaultError):
    """422 ``VALIDATION_FAILED``. ``fields``: a list of
    ``{"field": ..., "message": ...}``, one per problem the vault named."""

    @property
    def fields(self) -> list[dict[str, str]]:
        listed = self.details.get("fields")
        if isinstance(listed, list):
            return [
                {"field": str(f.get("field", "")), "message": str(f.get("message", ""))}
                for f in listed
                if isinstance(f, dict)
            ]
        if isinstance(self.details.get("field"), str):
            return [{"field": self.details["field"], "message": self.message}]
        return []


class InvalidRequest(VaultError):
    """400 ``INVALID_JSON`` / ``BAD_REQUEST``, 413 ``PAYLOAD_TOO_LARGE``."""


class NotFound(VaultError):
    """404 ``NOT_FOUND``: no such route (is the URL the vault's origin?)."""


class Conflict(VaultError):
    """409 ``CONFLICT``, ``ROTATION_IN_PROGRESS``."""


class RateLimited(VaultError):
    """429 ``RATE_LIMITED``; ``retry_after`` says when to try again."""


class ServerError(VaultError):
    """500 ``CONFIG_INVALID``, ``KEY_MISSING``, ``UNDECRYPTABLE``, ``INTERNAL``
    and 501 ``NOT_SUPPORTED``: the vault cannot serve this; an operator must act."""


class TransportError(VaultError):
    """No usable answer: the connection failed or timed out
    (``TRANSPORT_FAILED``), or the answer was not the vault's JSON
    (``BAD_RESPONSE``). ``unsent`` is True when the connection failed before
    the request was sent (refused, no route, unknown host)."""

    unsent: bool = False


ERROR_CLASSES: dict[str, type[VaultError]] = {
    "NO_CREDENTIAL_AVAILABLE": NoCredentialAvailable,
    "COLLECTION_LOCKED": CollectionLocked,
    # 409: a second rotation start while one runs (an admin call, not a collector's).
    "ROTATION_IN_PROGRESS": Conflict,
    "UNAUTHENTICATED": Unauthorized,
    "FORBIDDEN": Forbidden,
    "CSRF_FAILED": Forbidden,
    "LEASE_EXPIRED": LeaseExpired,
    "CREDENTIAL_NOT_FOUND": CredentialNotFound,
    "NOT_A_RECENT_HOLDER": NotARecentHolder,
    "VALIDATION_FAILED": ValidationFailed,
    "INVALID_JSON": InvalidRequest,
    "BAD_REQUEST": InvalidRequest,
    "PAYLOAD_TOO_LARGE": InvalidRequest,
    "NOT_FOUND": NotFound,
    "CONFLICT": Conflict,
    "RATE_LIMITED": RateLimited,
    "CONFIG_INVALID": ServerError,
    "KEY_MISSING": ServerError,
    "UNDECRYPTABLE": ServerError,
    "INTERNAL": ServerError,
    "NOT_SUPPORTED": ServerError,
}


def error_from_response(status: int, body: Any, retry_after: float | None) -> VaultError:
    """The exception for one error answer of the vault."""
    err = body.get("error") if isinstance(body, dict) else None
    if not isinstance(err, dict) or not isinstance(err.get("code"), str):
        return TransportError("BAD_RESPONSE", f"The vault answered HTTP {status} without its JSON error.", status)
    code = err["code"]
    message = err.get("message") if isinstance(err.get("message"), str) else code
    # The code's extra facts travel nested, as ``error.details``; nothing beside code and message is read.
    details = err.get("details") if isinstance(err.get("details"), dict) else {}
    cls = ERROR_CLASSES.get(code, VaultError)
    return cls(code, message, status, details, retry_after)
