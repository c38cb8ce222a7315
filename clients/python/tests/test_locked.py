"""423 during a real credential-key rotation: the vault runs with a new key
current and the old one previous, every row still under the old key. A held
lease keeps the rotation draining, with collection locked."""

from __future__ import annotations

import asyncio

import pytest

from arena_vault_client import CollectionLocked
from arena_vault_client.compat import CredentialPool

ROTATION = "/api/admin/rotations/credential-key"


def test_acquire_and_renew_get_423_while_a_rotation_holds_the_lock(client, pools, admin, secrets):
    p, other = pools["locked"], pools["happy"]
    held = client.acquire(p.platform, p.tier, "py-locked-held", ttl_seconds=600)

    status, started = admin.call("POST", ROTATION, {"drain_timeout_seconds": 600})
    assert status == 202, started
    admin.until("the rotation to lock collection and drain", lambda: (lambda s: s["locked"] and s["phase"] == "draining")(admin.ok("GET", ROTATION)))

    with pytest.raises(CollectionLocked) as e:
        client.acquire(other.platform, other.tier, "py-locked-refused")
    assert (e.value.code, e.value.status, e.value.retry_after) == ("COLLECTION_LOCKED", 423, 30)
    assert e.value.locked_since
    for text in (repr(e.value), str(e.value)):
        assert not any(s in text for s in secrets)

    with pytest.raises(CollectionLocked):
        held.renew()
    with pytest.raises(CollectionLocked):  # Retry-After 30 s falls past a 2 s deadline: raised at once
        client.acquire(other.platform, other.tier, "py-locked-wait", wait=True, timeout=2)
    assert asyncio.run(CredentialPool().acquire(other.platform, other.tier, "py-locked-compat")) is None

    # Release still works while locked: it lets the rotation drain and finish.
    assert held.release()["expired"] is False
    end = admin.until("the rotation to finish", lambda: (lambda s: s if s["phase"] in ("done", "failed", "aborted") and not s["locked"] else None)(admin.ok("GET", ROTATION)))
    assert end["phase"] == "done", end
    assert end["rows_not_under_current_key"] == 0

    # Collection is back, and the re-encrypted rows give the same fields.
    lease = client.acquire(other.platform, other.tier, "py-after-rotation")
    assert lease.fields == other.fields
    lease.release()
