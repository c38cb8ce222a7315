"""Canary: no credential field, API key or admin key appears in the repr(),
str() or formatted traceback of anything the client hands out."""

from __future__ import annotations

import asyncio
import traceback

import pytest

from arena_vault_client import (
    AsyncVaultClient,
    LeaseExpired,
    NoCredentialAvailable,
    TransportError,
    Unauthorized,
    ValidationFailed,
    VaultClient,
    VaultError,
)
from arena_vault_client.compat import CredentialPool


def texts(obj) -> list[str]:
    out = [repr(obj), str(obj), f"{obj}", f"{obj!r}"]
    if isinstance(obj, BaseException):
        out.append("".join(traceback.format_exception(type(obj), obj, obj.__traceback__)))
    return out


def assert_clean(objects, secrets):
    checked = 0
    for obj in objects:
        for text in texts(obj):
            leaked = [s for s in secrets if s in text]
            assert not leaked, f"{type(obj).__name__} shows a secret"
            checked += 1
    assert checked >= 4 * len(objects)


def caught(fn) -> VaultError:
    with pytest.raises(VaultError) as e:
        fn()
    return e.value


def test_no_secret_in_any_repr_str_or_traceback(env, pools, client, secrets):
    p = pools["happy"]
    canary_key = "av_" + "CANARYKEY"[:8] + "_" + "Z" * 43  # an invalid key that must not be echoed either
    secrets = [*secrets, canary_key]
    lease = client.acquire(p.platform, p.tier, "py-canary")
    assert lease.fields == p.fields  # the values are there, just never shown
    objects: list[object] = [client, lease, lease.fields]
    try:
        objects.append(caught(lambda: client.acquire(p.platform, p.tier, "py-canary-2")))  # NoCredentialAvailable
        objects.append(caught(lambda: client.acquire("serper", "gold", "py-canary-3")))  # ValidationFailed
        bad = VaultClient(env["ARENA_VAULT_URL"], canary_key)
        objects += [bad, caught(lambda: bad.acquire(p.platform, p.tier, "py-canary-4"))]  # Unauthorized
        objects.append(caught(lambda: VaultClient("http://127.0.0.1:9", canary_key, timeout=5).acquire("serper", "medium", "x")))
    finally:
        lease.release()
    objects.append(caught(lambda: lease.release()))  # LeaseExpired
    assert [type(o) for o in objects[3:]] == [NoCredentialAvailable, ValidationFailed, VaultClient, Unauthorized, TransportError, LeaseExpired]

    async def async_objects():
        aclient = AsyncVaultClient(env["ARENA_VAULT_URL"], env["ARENA_VAULT_API_KEY"])
        alease = await aclient.acquire(p.platform, p.tier, "py-canary-async")
        pool = CredentialPool()
        cred = await pool.acquire(pools["compat"].platform, pools["compat"].tier, "py-canary-compat")
        assert cred["client_secret"] == pools["compat"].fields["client_secret"]
        # issue 21's paths: metadata, the Redis stand-in, its rows, and update_fields' answer and refusal
        redis = await pool._get_redis()
        rows = await pool._query_db_credentials(pools["compat"].platform, pools["compat"].tier)
        meta = await aclient.credential(cred["id"])
        updated = await alease.update_fields(dict(p.fields))
        found = [aclient, alease, alease.fields, pool, cred, redis, rows, meta, updated, await aclient.credentials(p.platform, p.tier)]
        await alease.release()
        try:
            await alease.update_fields(dict(p.fields))
        except LeaseExpired as e:
            found.append(e)
        await pool.release(cred["id"], "py-canary-compat")
        return found

    found = asyncio.run(async_objects())
    assert isinstance(found[-1], LeaseExpired)
    objects += found
    assert_clean(objects, secrets)


def test_a_block_exception_is_not_wrapped_in_anything_that_shows_the_lease(client, pools, secrets):
    p = pools["happy"]
    with pytest.raises(RuntimeError) as e:
        with client.lease(p.platform, p.tier, "py-canary-block"):
            raise RuntimeError("boom")
    assert_clean([e.value], secrets)
