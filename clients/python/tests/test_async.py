"""AsyncVaultClient: the same surface for asyncio."""

from __future__ import annotations

import asyncio

import pytest

from arena_vault_client import AsyncVaultClient, NoCredentialAvailable


class ArenaRateLimitError(Exception):
    retry_after = 3


def run(coro):
    return asyncio.run(coro)


@pytest.fixture
def aclient(env) -> AsyncVaultClient:
    return AsyncVaultClient(env["ARENA_VAULT_URL"], env["ARENA_VAULT_API_KEY"])


def test_async_acquire_renew_release(aclient, pools):
    p = pools["async"]

    async def scenario():
        lease = await aclient.acquire(p.platform, p.tier, "py-async")
        assert lease.credential_id == p.id and lease.fields == p.fields
        before = lease.expires_at
        await lease.renew(ttl_seconds=3600)
        assert lease.expires_at > before
        assert (await lease.release())["expired"] is False

    run(scenario())


def test_async_only_one_of_four_concurrent_acquires_wins(aclient, pools):
    p = pools["async"]

    async def scenario():
        got = await asyncio.gather(*(aclient.acquire(p.platform, p.tier, f"py-async-{i}") for i in range(4)), return_exceptions=True)
        leases = [g for g in got if not isinstance(g, BaseException)]
        refused = [g for g in got if isinstance(g, NoCredentialAvailable)]
        assert len(leases) == 1 and len(refused) == 3
        assert {r.reason for r in refused} == {"all_leased"}
        await leases[0].release()

    run(scenario())


def test_async_context_manager_releases_and_reports(aclient, pools, admin):
    p = pools["async"]

    async def scenario():
        async with aclient.lease(p.platform, p.tier, "py-async-ok") as lease:
            assert lease.fields == p.fields
        assert lease.ended
        errors = admin.credential(p.id)["error_count"]
        with pytest.raises(ArenaRateLimitError):
            async with aclient.lease(p.platform, p.tier, "py-async-429"):
                raise ArenaRateLimitError()
        # The cooldown is a few seconds: check it before waiting for the error count to reach D1.
        with pytest.raises(NoCredentialAvailable) as e:
            await aclient.acquire(p.platform, p.tier, "py-async-cooling")
        assert e.value.reason == "all_cooling_down" and 0 < e.value.retry_after <= 3
        admin.error_count_reaches(p.id, errors + 1)
        lease = await aclient.acquire(p.platform, p.tier, "py-async-wait", wait=True, timeout=60)
        await lease.release()

    run(scenario())
