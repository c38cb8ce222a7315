"""The original platform's google_search collector, unmodified
(tests/original, alterPublics/issue_obervatory @ ed37933), against compat
and the real vault. Serper's HTTP is httpx.MockTransport; the credential path
(acquire, report_error, release) is the collector's own code calling compat.

The collector leases serper/medium: the `readme` row of the fixture."""

from __future__ import annotations

import asyncio
import logging

import original_support  # noqa: F401  (sys.path: vendored modules, stubs, Debian's httpx)
import httpx
import pytest

from issue_observatory.arenas.base import Tier
from issue_observatory.arenas.google_search.collector import GoogleSearchCollector
from issue_observatory.core.exceptions import ArenaRateLimitError, NoCredentialAvailableError

from arena_vault_client.compat import CredentialPool
from original_support import json_response, provider

ORGANIC = {"organic": [{"title": "Klima", "link": "https://example.dk/a", "snippet": "s", "position": 1}]}


@pytest.fixture
def serper(pools, admin):
    p = pools["readme"]
    yield p
    admin.reset_errors(p.id)  # whatever a test left (a cooldown), the next one starts clean


def collect(pool, client_class, terms=("klima",)):
    collector = GoogleSearchCollector(credential_pool=pool, http_client=client_class())
    return collector.collect_by_terms(list(terms), Tier.MEDIUM, max_results=5)


def test_collect_uses_the_vault_key_and_gives_it_back(serper, monkeypatch, client):
    keys = []

    def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["X-API-KEY"])
        return json_response(200, ORGANIC)

    mocked = provider(monkeypatch, handler)
    records = asyncio.run(collect(CredentialPool(env={}), mocked))
    assert len(records) == 1 and records[0]["url"] == "https://example.dk/a"
    assert keys == [serper.fields["api_key"]]
    # Released: an exclusive lease is granted at once (max_leases 1).
    client.acquire(serper.platform, serper.tier, "py-google-after", mode="exclusive").release()


def test_a_429_cools_the_key_down_for_every_worker(serper, monkeypatch, client):
    mocked = provider(monkeypatch, lambda request: json_response(429, {"message": "slow down"}, {"Retry-After": "120"}))
    with pytest.raises(ArenaRateLimitError):
        asyncio.run(collect(CredentialPool(env={}), mocked))
    meta = client.credential(serper.id)
    assert meta["cooldown_until"] is not None  # the collector's report_error → the vault's cooldown
    # A second worker (another pool instance) finds nothing: the collector raises its own error.
    with pytest.raises(NoCredentialAvailableError):
        asyncio.run(collect(CredentialPool(env={}), mocked))


def test_two_concurrent_runs_share_the_one_key(serper, monkeypatch):
    """Two runs (two workers, two pools) are inside Serper at the same time,
    each holding the one serper/medium key, as with the original's
    informational leases. Exclusive leases would refuse the second run."""
    inside, both_inside, keys = [], asyncio.Event(), []

    async def handler(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["X-API-KEY"])
        inside.append(1)
        if len(inside) == 2:
            both_inside.set()
        await asyncio.wait_for(both_inside.wait(), 30)
        return json_response(200, ORGANIC)

    mocked = provider(monkeypatch, handler)

    async def scenario():
        return await asyncio.gather(collect(CredentialPool(env={}), mocked, ["a"]), collect(CredentialPool(env={}), mocked, ["b"]))

    first, second = asyncio.run(scenario())
    assert len(first) == 1 and len(second) == 1
    assert keys == [serper.fields["api_key"]] * 2


def test_exclusive_mode_refuses_the_second_concurrent_run(serper, monkeypatch):
    """The counterpart, and the proof that the test above can fail: with
    mode="exclusive" (opt-in) the second run gets no key while the first is inside Serper."""
    entered, release = asyncio.Event(), asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        entered.set()
        await asyncio.wait_for(release.wait(), 30)
        return json_response(200, ORGANIC)

    mocked = provider(monkeypatch, handler)

    async def scenario():
        first = asyncio.ensure_future(collect(CredentialPool(env={}, mode="exclusive"), mocked, ["a"]))
        await asyncio.wait_for(entered.wait(), 30)  # the first run holds the key
        try:
            with pytest.raises(NoCredentialAvailableError):
                await collect(CredentialPool(env={}, mode="exclusive"), mocked, ["b"])
        finally:
            release.set()
        return await first

    assert len(asyncio.run(scenario())) == 1


def test_an_unreachable_vault_gives_none_and_an_error_log(monkeypatch, caplog):
    mocked = provider(monkeypatch, lambda request: pytest.fail("no provider call without a key"))
    # Port 9 on 127.0.0.1 (discard): nothing listens there in the test machine; the connection is refused.
    pool = CredentialPool(url="http://127.0.0.1:9", api_key="av_unreachable", env={})
    monkeypatch.setattr("arena_vault_client._core.time.sleep", lambda s: None)  # the retries, without waiting
    with caplog.at_level(logging.ERROR, logger="arena_vault_client"):
        with pytest.raises(NoCredentialAvailableError):
            asyncio.run(collect(pool, mocked))
    errors = [r for r in caplog.records if r.levelno == logging.ERROR and r.name == "arena_vault_client.compat"]
    assert len(errors) == 1 and "TRANSPORT_FAILED" in errors[0].getMessage()


def test_a_key_revoked_mid_run_never_replaces_the_collectors_result(serper, monkeypatch, admin, env, caplog):
    made = admin.ok("POST", "/api/api-keys", {"name": "pytest revoked mid-run", "scope": "collector"})

    def handler(request: httpx.Request) -> httpx.Response:
        admin.ok("DELETE", f"/api/api-keys/{made['id']}")  # revoked while the collector holds its lease
        return json_response(429, {"message": "slow down"}, {"Retry-After": "5"})

    mocked = provider(monkeypatch, handler)
    pool = CredentialPool(url=env["ARENA_VAULT_URL"], api_key=made["key"], env={}, ttl_seconds=30)
    with caplog.at_level(logging.WARNING, logger="arena_vault_client"):
        # report_error (in the collector's except) and release (in its finally) fail with 401:
        # the collector's own ArenaRateLimitError still comes out, not a VaultError.
        with pytest.raises(ArenaRateLimitError):
            asyncio.run(collect(pool, mocked))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and r.name == "arena_vault_client.compat"]
    assert any("report_error" in w and "UNAUTHENTICATED" in w for w in warnings), warnings
    assert made["key"] not in caplog.text
    # The revoked key is refused from now on: acquire → None, the collector's own error.
    with pytest.raises(NoCredentialAvailableError):
        asyncio.run(collect(pool, mocked))
