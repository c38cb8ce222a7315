"""Fixtures for the client tests. They run against a real vault that
`npm run test:python` (scripts/run-python-tests.ts) starts and fills:

- ARENA_VAULT_URL, ARENA_VAULT_API_KEY (collector scope), ARENA_VAULT_ADMIN_KEY;
- ARENA_VAULT_TEST_FIXTURE: JSON ``{"credentials": {label: {platform, tier,
  credentials: [{id, fields}]}}}``, the rows created for each test (canary values).

Without them every test errors (they are never skipped).
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from arena_vault_client import VaultClient

REQUIRED = ("ARENA_VAULT_URL", "ARENA_VAULT_API_KEY", "ARENA_VAULT_ADMIN_KEY", "ARENA_VAULT_TEST_FIXTURE")


def _env() -> dict[str, str]:
    missing = [n for n in REQUIRED if not os.environ.get(n)]
    if missing:
        raise RuntimeError(f"run these tests with `npm run test:python` (missing {', '.join(missing)})")
    return {n: os.environ[n] for n in REQUIRED}


class Pool:
    """One label of the fixture: its platform, tier and rows."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.platform: str = spec["platform"]
        self.tier: str = spec["tier"]
        self.credentials: list[dict[str, Any]] = spec["credentials"]

    @property
    def id(self) -> int:
        return self.credentials[0]["id"]

    @property
    def fields(self) -> dict[str, str]:
        return self.credentials[0]["fields"]

    def fields_of(self, credential_id: int) -> dict[str, str]:
        return next(c["fields"] for c in self.credentials if c["id"] == credential_id)


class Admin:
    """Admin calls the tests need (reset-errors, credential reads, the rotation), over the real API."""

    def __init__(self, url: str, key: str) -> None:
        self.url, self.key = url.rstrip("/"), key

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        req = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"authorization": f"ApiKey {self.key}", "content-type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as res:
                return res.status, json.loads(res.read() or b"null")
        except urllib.error.HTTPError as e:
            with e:
                return e.code, json.loads(e.read() or b"null")

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, out = self.call(method, path, body)
        assert 200 <= status < 300, (method, path, status, out)
        return out

    def credential(self, credential_id: int) -> dict[str, Any]:
        return self.ok("GET", f"/api/credentials/{credential_id}")

    def error_count_reaches(self, credential_id: int, expected: int, timeout: float = 15.0) -> None:
        """The pool writes error counts back to D1 coalesced, at most every few seconds: wait for it."""
        self.until(
            f"error_count {expected} on credential {credential_id}",
            lambda: self.credential(credential_id)["error_count"] == expected,
            timeout=timeout,
        )

    def error_count_settled(self, credential_id: int) -> int:
        """The error count once the pool's write-back interval (5 s) has surely passed."""
        time.sleep(6.0)
        return self.credential(credential_id)["error_count"]

    def reset_errors(self, credential_id: int) -> None:
        self.ok("POST", f"/api/credentials/{credential_id}/reset-errors")

    def until(self, what: str, check, timeout: float = 120.0, every: float = 0.2) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(every)
        raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="session")
def env() -> dict[str, str]:
    return _env()


@pytest.fixture(scope="session")
def pools(env) -> dict[str, Pool]:
    data = json.loads(Path(env["ARENA_VAULT_TEST_FIXTURE"]).read_text())
    return {label: Pool(spec) for label, spec in data["credentials"].items()}


@pytest.fixture(scope="session")
def secrets(env, pools) -> list[str]:
    """Every value that must never appear in a repr, str or traceback."""
    values = [env["ARENA_VAULT_API_KEY"], env["ARENA_VAULT_ADMIN_KEY"]]
    for pool in pools.values():
        for cred in pool.credentials:
            values.extend(cred["fields"].values())
    return values


@pytest.fixture(scope="session")
def client(env) -> VaultClient:
    return VaultClient(env["ARENA_VAULT_URL"], env["ARENA_VAULT_API_KEY"])


@pytest.fixture(scope="session")
def admin(env) -> Admin:
    return Admin(env["ARENA_VAULT_URL"], env["ARENA_VAULT_ADMIN_KEY"])
