"""The original platform's youtube, bluesky, discord, twitch, telegram and
threads collectors, unmodified (tests/original, alterPublics/issue_obervatory
@ ed37933), against compat and the real vault. Provider HTTP is
httpx.MockTransport; Telegram's MTProto is the fake in
tests/original/stubs/telethon. Each test names the row of issue 21's table
it shows working."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import original_support  # noqa: F401  (sys.path: vendored modules, stubs, Debian's httpx)
import httpx
import pytest
import telethon

from issue_observatory.arenas.base import Tier
from issue_observatory.arenas.bluesky.collector import BlueskyCollector
from issue_observatory.arenas.discord.collector import DiscordCollector
from issue_observatory.arenas.telegram.collector import TelegramCollector
from issue_observatory.arenas.threads import tasks as threads_tasks
from issue_observatory.arenas.twitch.collector import TwitchCollector
from issue_observatory.arenas.youtube.collector import YouTubeCollector
from issue_observatory.core.exceptions import ArenaRateLimitError

import arena_vault_client.compat as compat
from arena_vault_client.compat import CredentialPool
from original_support import json_response, provider


@pytest.fixture
def clean(admin):
    """Credential ids a test cooled down; their errors and cooldowns are reset afterwards."""
    ids: list[int] = []
    yield ids
    for credential_id in ids:
        admin.reset_errors(credential_id)


def test_youtube_rotates_to_the_next_key_when_the_quota_is_exhausted(pools, monkeypatch, client, clean):
    """Row 10 / quota: the collector's report_error cools the exhausted key
    down in the vault, and its next acquire gets the other key."""
    p = pools["youtube"]
    clean.extend(c["id"] for c in p.credentials)
    used: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        key = request.url.params["key"]
        if request.url.path.endswith("/search"):
            used.append(key)
            if len(used) == 1:  # the first key leased is out of quota
                return json_response(403, {"error": {"errors": [{"reason": "quotaExceeded"}]}})
            return json_response(200, {"items": [{"id": {"videoId": "vid1"}}]})
        return json_response(200, {"items": []})  # videos.list: no details

    mocked = provider(monkeypatch, handler)
    collector = YouTubeCollector(credential_pool=CredentialPool(env={}), http_client=mocked())
    asyncio.run(collector.collect_by_terms(["klima"], Tier.FREE, max_results=1))
    keys = {c["fields"]["api_key"]: c["id"] for c in p.credentials}
    assert len(used) == 2 and used[0] != used[1] and set(used) == set(keys)
    assert client.credential(keys[used[0]])["cooldown_until"] is not None  # exhausted: cooling down
    assert client.credential(keys[used[1]])["cooldown_until"] is None


def test_bluesky_collects_with_the_vault_app_password(pools, monkeypatch, client):
    p = pools["bluesky"]
    logins: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("createSession"):
            logins.append(httpx.Response(200, content=request.content).json())
            return json_response(200, {"accessJwt": "jwt-1", "did": "did:plc:x"})
        return json_response(200, {"posts": [], "cursor": None})

    mocked = provider(monkeypatch, handler)
    pool = CredentialPool(env={})
    collector = BlueskyCollector(credential_pool=pool, http_client=mocked())
    assert asyncio.run(collector.collect_by_terms(["klima"], Tier.FREE, max_results=5)) == []
    assert logins == [{"identifier": p.fields["handle"], "password": p.fields["app_password"]}]
    client.acquire(p.platform, p.tier, "py-bluesky-after", mode="exclusive").release()  # collect released its lease
    # And its health check (which acquires and never releases), twice.
    for _ in range(2):
        assert asyncio.run(BlueskyCollector(credential_pool=pool).health_check())["status"] == "ok"


@pytest.mark.parametrize("mode, second", [("shared", "ok"), ("exclusive", "down")])
def test_discord_health_check_twice(pools, monkeypatch, mode, second):
    """Row 4: discord acquires and never releases. With compat's shared
    leases the second health check is "ok"; with exclusive ones (the old
    compat) the key stays blocked and it answers "down"."""
    tokens: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        tokens.append(request.headers["Authorization"])
        return json_response(200, {"url": "wss://gateway.discord.gg"})

    provider(monkeypatch, handler)
    pool = CredentialPool(env={}, mode=mode, ttl_seconds=30)
    first = asyncio.run(DiscordCollector(credential_pool=pool).health_check())
    again = asyncio.run(DiscordCollector(credential_pool=pool).health_check())
    assert (first["status"], again["status"]) == ("ok", second)
    assert tokens[0] == f"Bot {pools['discord'].fields['bot_token']}"
    asyncio.run(pool.release(pools["discord"].id))  # the test, not discord, gives the first lease back


def test_twitch_health_check_twice(pools, monkeypatch):
    p = pools["twitch"]
    grants: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "id.twitch.tv":
            grants.append(request.content)
            return json_response(200, {"access_token": "app-token", "expires_in": 3600})
        assert request.headers["Client-Id"] == p.fields["client_id"]
        return json_response(200, {"data": []})

    provider(monkeypatch, handler)
    pool = CredentialPool(env={})
    results = [asyncio.run(TwitchCollector(credential_pool=pool).health_check()) for _ in range(2)]
    assert [r["status"] for r in results] == ["ok", "ok"], results
    assert len(grants) == 2


def test_telegram_flood_wait_cooldown_is_seen_by_a_second_pool(pools, monkeypatch, client, clean):
    """Row 5: after a FloodWait the collector sets credential:cooldown:{id}
    through pool._get_redis(); a second pool instance (another worker) sees
    the key and gets no credential."""
    p = pools["telegram"]
    clean.append(p.id)
    monkeypatch.setattr(telethon.script, "flood_wait_seconds", 600)
    monkeypatch.setattr(telethon.script, "sessions", [])
    collector = TelegramCollector(credential_pool=CredentialPool(env={}), default_channels=["dr_nyheder"])
    with pytest.raises(ArenaRateLimitError) as raised:
        asyncio.run(collector.collect_by_terms(["klima"], Tier.FREE, max_results=5))
    assert raised.value.retry_after == 600.0
    assert telethon.script.sessions == [p.fields["session_string"]]

    other = CredentialPool(env={})

    async def seen_by_another_worker():
        redis = await other._get_redis()
        return await redis.get(f"credential:cooldown:{p.id}"), await other.acquire("telegram", "free")

    until, cred = asyncio.run(seen_by_another_worker())
    assert until is not None and cred is None
    left = datetime.fromisoformat(until.replace("Z", "+00:00")) - datetime.now(timezone.utc)
    assert timedelta(seconds=500) < left <= timedelta(seconds=601)  # the FloodWait's 600 s, not the 1-min backoff


def test_threads_refresh_task_refreshes_a_token_near_expiry(pools, monkeypatch, client):
    """Row 6: the daily refresh task lists the credentials with
    _query_db_credentials, reads threads:token_expiry:{id}, refreshes the
    token that is near expiry and stores the new expiry, which a second pool
    instance reads back."""
    p = pools["threads"]
    near = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3)
    client.set_expires_at(p.id, near)
    refreshed_with: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path.endswith("/refresh_access_token")
        refreshed_with.append(request.url.params["access_token"])
        return json_response(200, {"access_token": "new-long-lived-token", "expires_in": 60 * 86400})

    provider(monkeypatch, handler)
    monkeypatch.setattr(compat, "_pool_singleton", None)  # the task's get_credential_pool() builds a fresh one
    before = datetime.now(timezone.utc)
    result = threads_tasks.threads_refresh_tokens()  # the Celery task body, as Beat would run it
    assert result == {"refreshed": 1, "checked": 1, "status": "completed"}
    assert refreshed_with == [p.fields["access_token"]]

    async def read_back():
        redis = await CredentialPool(env={})._get_redis()
        return await redis.get(f"threads:token_expiry:{p.id}")

    stored = datetime.fromisoformat(asyncio.run(read_back()))
    assert before + timedelta(days=60) - timedelta(seconds=1) <= stored <= datetime.now(timezone.utc) + timedelta(days=60)
    assert client.credential(p.id)["expires_at"] is not None
    # Run again: the token is fresh now, nothing is refreshed.
    monkeypatch.setattr(compat, "_pool_singleton", None)
    assert threads_tasks.threads_refresh_tokens() == {"refreshed": 0, "checked": 1, "status": "completed"}
