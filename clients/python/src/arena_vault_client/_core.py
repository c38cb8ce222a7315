"""What the sync and async clients share: one HTTP call to the vault
(urllib, standard library only) with its retry rule, the configuration read
from the environment, the masked field dict, the mapping of a collector's
exception to an error ``kind``, and the Retry-After wait rule."""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import platform
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from typing import Any

from ._version import __version__
from .errors import CollectionLocked, NoCredentialAvailable, TransportError, VaultError, error_from_response

logger = logging.getLogger("arena_vault_client")

USER_AGENT = f"arena-vault-client-python/{__version__} (Python {platform.python_version()})"
ERROR_KINDS = ("rate_limited", "auth_failed", "quota_exhausted", "other")
URL_ENV = "ARENA_VAULT_URL"
API_KEY_ENV = "ARENA_VAULT_API_KEY"

#: Retries after the first try, by default (``retries=0`` turns them off).
DEFAULT_RETRIES = 3
#: The first retry waits this many seconds; each further one twice as long.
DEFAULT_BACKOFF = 0.5
#: Statuses that a gateway or an overloaded vault answers: retried only for calls that grant nothing.
GATEWAY_STATUSES = frozenset({502, 503, 504})
#: Refusals that say nothing was granted: retried for every call, acquire included.
NOTHING_GRANTED_CODES = frozenset({"POOL_UNAVAILABLE", "ROTATION_IN_PROGRESS", "COLLECTION_LOCKED"})
#: Connection failures that happen before a byte of the request is sent.
_UNSENT_ERRNOS = frozenset({errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EADDRNOTAVAIL})


def configured(url: str | None, api_key: str | None, owner: str) -> tuple[str, str]:
    """``url`` / ``api_key``, each read from ``$ARENA_VAULT_URL`` /
    ``$ARENA_VAULT_API_KEY`` when not given; a missing one is a ``ValueError``
    naming the variable (never its value)."""
    url = url if url is not None else os.environ.get(URL_ENV)
    api_key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
    if not url:
        raise ValueError(f"{owner} needs the vault's URL: pass url= or set {URL_ENV}")
    if not api_key:
        raise ValueError(f"{owner} needs a collector API key: pass api_key= or set {API_KEY_ENV}")
    return url, api_key


class SecretFields(dict):
    """The decrypted credential fields: a plain ``dict`` (``fields["api_key"]``,
    ``json.dumps``, ``**fields`` all work) whose ``repr()`` and ``str()`` name
    the fields but never show a value, so logging a lease or its fields by
    accident prints no secret."""

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{k!r}: '***'" for k in self) + "}"

    __str__ = __repr__


class Transport:
    """One JSON request to ``<url><path>`` with ``Authorization: ApiKey``.
    Returns the parsed JSON of a 2xx answer (None for 204); raises the
    ``VaultError`` subclass of the vault's error code otherwise.

    Retries (``retries`` times after the first try, waiting ``backoff``,
    then twice as long each time) only where a retry cannot double a grant:
    - a connection that failed before the request was sent (refused, no
      route, unknown host): every call;
    - a refusal that says nothing was granted (``NOTHING_GRANTED_CODES``):
      every call;
    - 502/503/504 and other failures after sending: only calls that grant
      nothing (``grants=False``: renew, release, report-error, reads).
    An acquire whose answer was lost is never sent again."""

    def __init__(
        self,
        url: str,
        api_key: str,
        timeout: float = 30.0,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
    ) -> None:
        if not isinstance(url, str) or not url.strip():
            raise ValueError("url must be the vault's origin, e.g. https://vault.example.org")
        parts = urllib.parse.urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url must start with http:// or https:// and name a host")
        if not isinstance(api_key, str) or not api_key.strip():
            raise ValueError("api_key must be the collector API key (av_...)")
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError("retries must be a whole number >= 0 (0 turns retries off)")
        self.base = url.strip().rstrip("/")
        # Shown in repr and errors: scheme, host and port only (never userinfo or a query).
        self.origin = f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        self._authorization = f"ApiKey {api_key.strip()}"
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff

    def post(self, op: str, body: dict[str, Any]) -> dict[str, Any]:
        """A pool operation: ``POST /api/pool/<op>``. Only ``acquire`` grants."""
        return self.request("POST", f"/api/pool/{op}", body, grants=op == "acquire")

    def request(self, method: str, path: str, body: dict[str, Any] | None = None, *, grants: bool = False) -> Any:
        attempt = 0
        while True:
            try:
                return self._once(method, path, body)
            except VaultError as e:
                if attempt >= self.retries or not _may_retry(e, grants):
                    raise
                delay = self.backoff * (2**attempt)
                attempt += 1
                logger.info("%s %s: %s; retry %d of %d in %.2f s", method, _route(path), e.code, attempt, self.retries, delay)
                time.sleep(delay)

    def _once(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        headers = {"authorization": self._authorization, "accept": "application/json", "user-agent": USER_AGENT}
        if body is not None:
            headers["content-type"] = "application/json"
        req = urllib.request.Request(
            self.base + path,
            data=None if body is None else json.dumps(body).encode("utf-8"),
            method=method,
            headers=headers,
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as res:
                if res.status == 204:
                    return None
                return _json(res.status, res.read())
        except urllib.error.HTTPError as e:
            with e:
                status, raw, retry_after = e.code, e.read(), _retry_after(e.headers.get("Retry-After"))
            raise error_from_response(status, _json_or_none(raw), retry_after) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", None) or e
            error = TransportError("TRANSPORT_FAILED", f"Could not reach the vault at {self.origin}: {_describe(reason)}.")
            error.unsent = _unsent(reason)
            raise error from None


def _may_retry(error: VaultError, grants: bool) -> bool:
    if error.code in NOTHING_GRANTED_CODES or (isinstance(error, TransportError) and error.unsent):
        return True
    if grants:
        return False  # the vault may have granted it: never ask twice
    # A gateway's 502/503/504 (often an HTML page: BAD_RESPONSE), or a connection lost after sending.
    return error.status in GATEWAY_STATUSES or error.code == "TRANSPORT_FAILED"


def _unsent(reason: Any) -> bool:
    """True when the connection failed before anything was sent."""
    if isinstance(reason, (ConnectionRefusedError, socket.gaierror)):
        return True
    return isinstance(reason, OSError) and reason.errno in _UNSENT_ERRNOS


def _describe(reason: Any) -> str:
    """A connection failure in words, without the request (never a header or body)."""
    if isinstance(reason, BaseException):
        text = getattr(reason, "strerror", None)
        return f"{type(reason).__name__}" + (f" ({text})" if text else "")
    return str(reason)


def _route(path: str) -> str:
    """The path without its query (a query names platform and tier only, but keep logs plain)."""
    return path.split("?", 1)[0]


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


# -- The metadata calls, as (method, path, body) for either client ------------

MODES = ("exclusive", "shared")


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError("mode must be 'exclusive' or 'shared'")
    return mode


def credential_id_of(value: Any) -> int:
    """A credential id as the vault numbers it: an ``int``, or a ``str`` of digits (compat's ids)."""
    if isinstance(value, bool):
        raise ValueError("credential_id must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise ValueError("credential_id must be a whole number (an int or a string of digits)")


def list_credentials_call(platform: str, tier: str) -> tuple[str, str, None]:
    query = urllib.parse.urlencode({"platform": platform, "tier": tier})
    return "GET", f"/api/pool/credentials?{query}", None


def credential_call(credential_id: Any) -> tuple[str, str, None]:
    return "GET", f"/api/pool/credentials/{credential_id_of(credential_id)}", None


def cooldown_call(credential_id: Any, seconds: float, reason: str) -> tuple[str, str, dict[str, Any]]:
    return "POST", f"/api/pool/credentials/{credential_id_of(credential_id)}/cooldown", {"seconds": seconds, "reason": reason}


def clear_cooldown_call(credential_id: Any) -> tuple[str, str, None]:
    return "DELETE", f"/api/pool/credentials/{credential_id_of(credential_id)}/cooldown", None


def expires_at_call(credential_id: Any, expires_at: Any) -> tuple[str, str, dict[str, Any]]:
    return "PUT", f"/api/pool/credentials/{credential_id_of(credential_id)}/expires-at", {"expires_at": iso_utc(expires_at)}


def iso_utc(value: Any) -> str | None:
    """None, an aware ``datetime``, or an ISO 8601 string with an offset → the
    vault's form ``2027-01-31T12:00:00.000Z`` (a naive time is taken as UTC, as
    the original platform's collectors did)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if not isinstance(value, datetime):
        raise ValueError("expires_at must be None, a datetime or an ISO 8601 string")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    value = value.astimezone(timezone.utc)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def renew_interval(ttl_seconds: float) -> float:
    """Background renewal runs at a third of the TTL, so two renewals can fail before the lease lapses."""
    return max(ttl_seconds / 3.0, 1.0)
