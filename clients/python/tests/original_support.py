"""Harness for the original platform's real collector modules (tests/original,
vendored unmodified from alterPublics/issue_obervatory @ ed37933; see
tests/original/README.md).

Importing this module puts on ``sys.path``:
- ``tests/original/stubs`` (import-time stand-ins, first, so they win);
- ``tests/original/src`` (the vendored ``issue_observatory`` package, whose
  ``core/credential_pool.py`` is the one changed line: it re-exports compat);
- Debian's ``/usr/lib/python3/dist-packages`` (last), for ``python3-httpx``
  and ``python3-structlog`` when the interpreter running pytest is not
  Debian's own (e.g. a pyenv Python of the same minor version).

Provider HTTP is ``httpx.MockTransport``: ``provider(monkeypatch, handler)``
makes every ``httpx.AsyncClient`` the collectors create (injected or not)
answer from ``handler``; nothing reaches a real provider.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent / "original"
DEBIAN_DIST_PACKAGES = "/usr/lib/python3/dist-packages"

for _p in (str(HERE / "src"), str(HERE / "stubs")):
    if _p not in sys.path:
        sys.path.insert(0, _p)
try:
    import httpx  # noqa: F401
    import structlog  # noqa: F401
except ImportError:
    if DEBIAN_DIST_PACKAGES not in sys.path:
        sys.path.append(DEBIAN_DIST_PACKAGES)

import httpx  # noqa: E402

# The normalizer refuses to run without a pseudonymisation salt (the original's GDPR rule).
os.environ.setdefault("PSEUDONYMIZATION_SALT", "arena-vault-test-salt")

_RealAsyncClient = httpx.AsyncClient


def provider(monkeypatch, handler: Callable[[httpx.Request], Any]) -> type:
    """Every ``httpx.AsyncClient(...)`` created from now on (the collectors
    build their own in health checks and the Threads refresh) answers from
    ``handler`` through ``httpx.MockTransport``. Returns the patched class, so
    a test can also inject ``http_client=client_class()``."""

    class MockedAsyncClient(_RealAsyncClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["transport"] = httpx.MockTransport(handler)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(httpx, "AsyncClient", MockedAsyncClient)
    return MockedAsyncClient


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=body, headers=headers)
