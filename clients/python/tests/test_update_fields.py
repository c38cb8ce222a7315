"""`lease.update_fields({...})`: the holder keeps a refreshed token. The
original platform's Threads refresh threw the new token away (it kept only the
expiry); with the vault the next acquire, by any worker, gets the new one."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from arena_vault_client import AsyncVaultClient, LeaseExpired, ValidationFailed, VaultClient


def test_a_refreshed_token_is_kept_for_every_worker(client, pools, secrets):
    p = pools["threads"]
    old = p.fields["access_token"]
    new = "REFRESHED-" + old[::-1]
    expiry = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=60)
    with client.lease(p.platform, p.tier, "py-threads-refresh", mode="exclusive") as lease:
        assert lease.fields["access_token"] == old
        answer = lease.update_fields({"access_token": new})
        assert answer["lease_id"] == lease.lease_id and answer["credential_id"] == p.id and answer["updated_at"]
        assert lease.fields["access_token"] == new
        assert new not in repr(lease) + repr(answer)
        client.set_expires_at(p.id, expiry)
    other = VaultClient()  # another worker
    with other.lease(p.platform, p.tier, "py-threads-next") as lease:
        assert lease.fields == {"access_token": new}
        lease.update_fields({"access_token": old})  # put the fixture's value back
    meta = other.credential(p.id)
    assert datetime.fromisoformat(meta["expires_at"].replace("Z", "+00:00")) == expiry
    assert set(meta) == {"id", "name", "platform", "tier", "active", "expires_at", "cooldown_until"}
    assert not any(s in repr(meta) for s in secrets)


def test_update_fields_is_validated_and_needs_a_live_lease(pools, secrets):
    p = pools["refresh"]

    async def scenario():
        async with AsyncVaultClient().lease(p.platform, p.tier, "py-refresh-async") as lease:
            with pytest.raises(ValidationFailed) as bad:
                await lease.update_fields({**p.fields, "not_a_field": "x"})
            assert lease.fields == p.fields  # unchanged
        assert not any(s in repr(bad.value) + str(bad.value) for s in secrets)
        with pytest.raises(LeaseExpired):  # released: no longer the holder of a live lease
            await lease.update_fields(dict(p.fields))

    asyncio.run(scenario())
