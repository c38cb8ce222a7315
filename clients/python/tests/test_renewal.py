"""`client.lease(...)` renews in the background while its block runs, and
stops when the block ends (sync: a thread; async: a task). The TTL is the
vault's minimum, 30 s; each block outlives it by 10 s and then renews once
more by hand, which the vault refuses (410) for a lease past its TTL."""

from __future__ import annotations

import asyncio
import threading
import time

from arena_vault_client import AsyncVaultClient

TTL = 30


def renewers() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("arena-vault-renew-")]


def test_sync_and_async_leases_outlive_their_ttl_and_stop_renewing(client, pools):
    sync_pool, async_pool = pools["renewal"], pools["async"]
    outcome: dict[str, object] = {}

    def sync_block():
        with client.lease(sync_pool.platform, sync_pool.tier, "py-renew-sync", ttl_seconds=TTL) as lease:
            assert renewers() != []
            time.sleep(TTL + 10)
            outcome["sync"] = lease.renew(TTL)  # LeaseExpired here if nothing renewed it
        outcome["sync_ended"] = lease.ended

    async def async_block():
        async with AsyncVaultClient().lease(async_pool.platform, async_pool.tier, "py-renew-async", ttl_seconds=TTL) as lease:
            await asyncio.sleep(TTL + 10)
            outcome["async"] = await lease.renew(TTL)
            tasks = len(asyncio.all_tasks())
        outcome["async_tasks"] = (tasks, len(asyncio.all_tasks()))
        outcome["async_ended"] = lease.ended

    worker = threading.Thread(target=sync_block)
    worker.start()
    asyncio.run(async_block())
    worker.join()
    assert outcome["sync"]["lease_id"] and outcome["async"]["lease_id"]
    assert outcome["sync_ended"] and outcome["async_ended"]  # released on exit
    before, after = outcome["async_tasks"]
    assert after == before - 1  # the renewal task is gone
    assert renewers() == []  # and the renewal thread
