"""What the sync and async clients share: one HTTP call to the vault
(urllib, standard library only), the masked field dict, the mapping of a
collector's exception to an error ``kind``, and the Retry-After wait rule."""

from __future__ import annotations

import json
import math
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from .errors import CollectionLocked, NoCredentialAvailable, TransportError, VaultError, error_from_response

USER_AGENT = "arena-vault-client-python"
ERROR_KINDS = ("rate_limited", "auth_failed", "quota_exhausted", "other")


class SecretFields(dict):
    """The decrypted credential fields: a plain ``dict`` (``fields["api_key"]``,
    ``json.dumps``, ``**fields`` all work) whose ``repr()`` and ``str()`` name
    the fields but never show a value, so logging a lease or its fields by
    accident prints no secret."""

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{k!r}: '***'" for k in self) + "}"

    __str__ = __repr__


class Transport:
    """POSTs JSON to ``<url>/api/pool/<op>`` with ``Authorization: ApiKey``.
    Returns the parsed JSON of a 2xx answer; raises the ``VaultError``
    subclass of the vault's error code otherwise."""

    def __init__(self, url: str, api_key: str, timeout: float = 30.0) -> None:
        if not isinstance(url, str) or not url.strip():
            raise ValueError("url must be the vault's origin, e.g. https://vault.example.org")
        parts = urllib.parse.urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url must start with http:// or https:// and name a host")
        if not isinstance(api_key, str) or not api_key.strip():
            raise ValueError("api_key must be the collector API key (av_...)")
        self.base = url.strip().rstrip("/")
        # Shown in repr and errors: scheme, host and port only (never userinfo or a query).
        self.origin = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        self._authorization = f"ApiKey {api_key.strip()}"
        self.timeout = timeout

    def post(self, op: str, body: dict[str, Any]) -> dict[str, Any]:
        req = urllib.request.Request(
            f"{self.base}/api/pool/{op}",
            data=json.dumps(body).encode("utf-8"),
            method="POST",
            headers={
                "authorization": self._authorization,
                "content-type": "application/json",
                "accept": "application/json",
                "user-agent": USER_AGENT,
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as res:
                return _json(res.status, res.read())
        except urllib.error.HTTPError as e:
            with e:
                status, raw, retry_after = e.code, e.read(), _retry_after(e.headers.get("Retry-After"))
            raise error_from_response(status, _json_or_none(raw), retry_after) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", None) or type(e).__name__
            raise TransportError("TRANSPORT_FAILED", f"Could not reach the vault at {self.origin}: {reason}.") from None


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _json(status: int, raw: bytes) -> dict[str, Any]:
    body = _json_or_none(raw)
    if not isinstance(body, dict):
        raise TransportError("BAD_RESPONSE", f"The vault answered HTTP {status} with something that is not a JSON object.", status)
    return body


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (the vault sends whole seconds; HTTP dates are ignored)."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def error_kind(exc: BaseException) -> str:
    """The ``kind`` to report for an exception a collector's block raised.

    - ``rate_limited``: a class in its MRO is named ``*RateLimitError`` (the
      original platform's ``ArenaRateLimitError``, ``openai.RateLimitError`` ...);
    - ``auth_failed``: a class named ``*AuthError`` or ``*AuthenticationError``
      (the original platform's ``ArenaAuthError``, ``openai.AuthenticationError`` ...);
    - ``other``: anything else.
    Names are compared, not classes, so the client imports nothing of the collector.
    """
    names = [c.__name__ for c in type(exc).__mro__]
    if any(n.endswith("RateLimitError") for n in names):
        return "rate_limited"
    if any(n.endswith("AuthError") or n.endswith("AuthenticationError") for n in names):
        return "auth_failed"
    return "other"


def exception_retry_after(exc: BaseException) -> float | None:
    """A positive number of seconds in ``exc.retry_after``, if the exception carries one."""
    value = getattr(exc, "retry_after", None)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) and 0 < value <= 86_400 else None


class AcquireRetry:
    """The rule of ``acquire(wait=..., timeout=...)``: only a refusal that
    carries Retry-After (nothing free yet, or collection locked) is tried
    again, after that many seconds, and only while the next try still falls
    before the deadline (``timeout`` seconds from now; none when None)."""

    def __init__(self, wait: bool, timeout: float | None) -> None:
        self.wait = wait
        self.deadline = None if timeout is None else time.monotonic() + timeout

    def delay(self, error: VaultError) -> float | None:
        """Seconds to sleep before the next try, or None to raise ``error``."""
        if not self.wait or not isinstance(error, (NoCredentialAvailable, CollectionLocked)) or error.retry_after is None:
            return None
        delay = max(error.retry_after, 0.05)
        if self.deadline is not None and time.monotonic() + delay > self.deadline:
            return None
        return delay


def block_outcome(exc: BaseException) -> tuple[str, dict[str, Any]]:
    """How ``with client.lease(...)`` ends a lease whose block raised ``exc``:
    an ``Exception`` is reported (``error_kind``, and its ``retry_after``);
    ``KeyboardInterrupt``, ``SystemExit``, cancellation release, since the
    credential is not at fault."""
    if isinstance(exc, Exception):
        return "report_error", {"kind": error_kind(exc), "retry_after": exception_retry_after(exc)}
    return "release", {}


def request_body(**values: Any) -> dict[str, Any]:
    """A request body without the options left at None."""
    return {k: v for k, v in values.items() if v is not None}


def report_body(lease_id: str, kind: str, retry_after: float | None, units_used: int | None) -> dict[str, Any]:
    if kind not in ERROR_KINDS:
        raise ValueError(f"kind must be one of {', '.join(ERROR_KINDS)}")
    return request_body(lease_id=lease_id, kind=kind, retry_after=retry_after, units_used=units_used)
