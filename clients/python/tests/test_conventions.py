"""Issue 20's client conventions, against a scripted local HTTP server (no
vault needed for these): configuration from the environment, the library
logger, the versioned User-Agent, and the retry rule (never for a call that
may have granted a lease). Sleeps between retries are recorded, not waited."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import arena_vault_client
from arena_vault_client import AsyncVaultClient, LeaseExpired, ServerError, TransportError, VaultClient, __version__
from arena_vault_client import _core

LEASE = {"lease_id": "lease_1", "credential_id": 7, "platform": "serper", "tier": "medium", "fields": {"api_key": "x"}, "expires_at": "2030-01-01T00:00:00.000Z", "mode": "shared"}


class Script:
    """What the fake vault answers, one (status, body) per request, and what it saw."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict | None]] = []
        self.seen: list[tuple[str, str, dict[str, str], bytes]] = []


@pytest.fixture
def fake():
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            script.seen.append((self.command, self.path, dict(self.headers), self.rfile.read(length)))
            status, body = script.answers.pop(0) if script.answers else (500, {"error": {"code": "INTERNAL", "message": "unscripted"}})
            raw = b"" if body is None else body.encode() if isinstance(body, str) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    script.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield script
    server.shutdown()
    server.server_close()


@pytest.fixture
def sleeps(monkeypatch):
    waited: list[float] = []
    monkeypatch.setattr(_core.time, "sleep", waited.append)
    return waited


def gateway(status: int = 503, code: str = "INTERNAL") -> tuple[int, dict]:
    return status, {"error": {"code": code, "message": "try later"}}


def test_vault_client_reads_the_environment(monkeypatch):
    monkeypatch.setenv("ARENA_VAULT_URL", "https://vault.example.org")
    monkeypatch.setenv("ARENA_VAULT_API_KEY", "av_from_env")
    assert repr(VaultClient()) == "VaultClient(url='https://vault.example.org', api_key='***')"
    assert "***" in repr(AsyncVaultClient())
    monkeypatch.delenv("ARENA_VAULT_API_KEY")
    with pytest.raises(ValueError, match="ARENA_VAULT_API_KEY"):
        VaultClient()
    monkeypatch.delenv("ARENA_VAULT_URL")
    with pytest.raises(ValueError, match="ARENA_VAULT_URL"):
        AsyncVaultClient(api_key="av_x")


def test_the_library_logger_has_a_null_handler():
    logger = logging.getLogger("arena_vault_client")
    assert any(isinstance(h, logging.NullHandler) for h in logger.handlers)


def test_user_agent_names_the_version(fake):
    fake.answers = [(200, {"credentials": []})]
    assert VaultClient(fake.url, "av_k").credentials("serper", "medium") == []
    method, path, headers, _ = fake.seen[0]
    assert (method, path) == ("GET", "/api/pool/credentials?platform=serper&tier=medium")
    assert headers["User-Agent"].startswith(f"arena-vault-client-python/{__version__} ")
    assert __version__ == arena_vault_client.__version__ and __version__.count(".") == 2


def test_calls_that_grant_nothing_are_retried_on_502_503_504(fake, sleeps):
    fake.answers = [gateway(502), gateway(503), gateway(504), (200, {"lease_id": "lease_1", "credential_id": 7, "expires_at": "2030-01-01T00:00:00.000Z"})]
    client = VaultClient(fake.url, "av_k")
    lease = _lease(client, fake)
    assert lease.renew()["lease_id"] == "lease_1"
    assert [s[1] for s in fake.seen[1:]] == ["/api/pool/renew"] * 4
    assert sleeps == [0.5, 1.0, 2.0]  # backoff doubles


def test_a_gateway_page_that_is_not_json_is_retried_too(fake, sleeps):
    fake.answers = [(502, "<html>Bad gateway</html>"), (200, {"credential_id": 7, "expires_at": None})]
    assert VaultClient(fake.url, "av_k").set_expires_at(7, None) == {"credential_id": 7, "expires_at": None}
    assert len(fake.seen) == 2 and sleeps == [0.5]
    fake.seen.clear()
    fake.answers = [(502, "<html>Bad gateway</html>"), (200, LEASE)]
    with pytest.raises(TransportError) as e:  # but never for an acquire
        VaultClient(fake.url, "av_k").acquire("serper", "medium", "t")
    assert (e.value.code, e.value.status, len(fake.seen)) == ("BAD_RESPONSE", 502, 1)


def test_retries_give_up_after_the_limit_and_can_be_turned_off(fake, sleeps):
    fake.answers = [gateway(503)] * 4
    with pytest.raises(ServerError):
        VaultClient(fake.url, "av_k").credential(7)
    assert len(fake.seen) == 4 and len(sleeps) == 3
    fake.seen.clear()
    fake.answers = [gateway(503), (200, {})]
    with pytest.raises(ServerError):
        VaultClient(fake.url, "av_k", retries=0).credential(7)
    assert len(fake.seen) == 1


def test_an_acquire_is_never_repeated_after_a_gateway_error(fake, sleeps):
    """A 502/503/504 on acquire may come after the vault granted the lease: not retried."""
    fake.answers = [gateway(502), (200, LEASE)]
    with pytest.raises(VaultError_):
        VaultClient(fake.url, "av_k").acquire("serper", "medium", "t")
    assert len(fake.seen) == 1 and sleeps == []


def test_an_acquire_refused_with_nothing_granted_is_retried(fake, sleeps):
    for code in ("POOL_UNAVAILABLE", "ROTATION_IN_PROGRESS"):
        fake.seen.clear()
        fake.answers = [gateway(503 if code == "POOL_UNAVAILABLE" else 423, code), (200, LEASE)]
        lease = VaultClient(fake.url, "av_k").acquire("serper", "medium", "t", mode="shared")
        assert lease.mode == "shared" and len(fake.seen) == 2
        assert json.loads(fake.seen[0][3])["mode"] == "shared"


def test_a_connection_refused_before_sending_is_retried_even_for_acquire(sleeps):
    # Port 9 (discard) on 127.0.0.1: nothing listens, the connection is refused before a byte is sent.
    with pytest.raises(TransportError) as e:
        VaultClient("http://127.0.0.1:9", "av_k").acquire("serper", "medium", "t")
    assert e.value.unsent and e.value.code == "TRANSPORT_FAILED" and len(sleeps) == 3


def test_async_client_retries_the_same_way(fake, sleeps):
    fake.answers = [gateway(504), (200, {"credential_id": 7, "cooldown_until": "2030-01-01T00:00:00.000Z"})]
    out = asyncio.run(AsyncVaultClient(fake.url, "av_k").set_cooldown("7", 60, "flood_wait"))
    assert out["credential_id"] == 7 and sleeps == [0.5]
    assert [(m, p, json.loads(b)) for m, p, _, b in fake.seen] == [("POST", "/api/pool/credentials/7/cooldown", {"seconds": 60, "reason": "flood_wait"})] * 2


def test_update_fields_sends_the_fields_and_hides_them(fake):
    client = VaultClient(fake.url, "av_k")
    lease = _lease(client, fake)
    fake.answers = [(200, {"lease_id": "lease_1", "credential_id": 7, "updated_at": "2030-01-01T00:00:00.000Z"})]
    lease.update_fields({"api_key": "NEW-SECRET-VALUE"})
    assert json.loads(fake.seen[-1][3]) == {"lease_id": "lease_1", "fields": {"api_key": "NEW-SECRET-VALUE"}}
    assert lease.fields["api_key"] == "NEW-SECRET-VALUE" and "NEW-SECRET-VALUE" not in repr(lease)
    fake.answers = [(410, {"error": {"code": "LEASE_EXPIRED", "message": "The lease has expired."}})]
    with pytest.raises(LeaseExpired):
        lease.update_fields({"api_key": "another"})
    with pytest.raises(ValueError):
        lease.update_fields({})


def _lease(client: VaultClient, fake: Script):
    fake.answers.insert(0, (200, LEASE))
    return client.acquire("serper", "medium", "t")


VaultError_ = arena_vault_client.VaultError
