"""compat.CredentialPool: the original platform's async signatures and
failure behaviour, end to end (issue 21's table, rows 1-9)."""

from __future__ import annotations

import asyncio
import logging

import pytest

import arena_vault_client.compat as compat
from arena_vault_client.compat import CredentialPool, UnsupportedRedisKey, get_credential_pool


class ArenaRateLimitError(Exception):
    def __init__(self, retry_after=None):
        super().__init__("429")
        self.retry_after = retry_after


def run(coro):
    return asyncio.run(coro)


def test_reads_url_and_key_from_the_environment(env, monkeypatch):
    pool = CredentialPool()  # ARENA_VAULT_URL / ARENA_VAULT_API_KEY, set by npm run test:python
    assert "***" in repr(pool)
    monkeypatch.delenv("ARENA_VAULT_URL")
    with pytest.raises(ValueError, match="ARENA_VAULT_URL"):
        CredentialPool()
    monkeypatch.setenv("ARENA_VAULT_URL", env["ARENA_VAULT_URL"])
    monkeypatch.delenv("ARENA_VAULT_API_KEY")
    with pytest.raises(ValueError, match="ARENA_VAULT_API_KEY"):
        CredentialPool()
    # The original's keyword arguments: redis_url is ignored, env feeds the fallback.
    assert CredentialPool(url=env["ARENA_VAULT_URL"], api_key=env["ARENA_VAULT_API_KEY"], redis_url="redis://x:6379/0", env={})


def test_get_credential_pool_is_one_shared_instance(monkeypatch):
    monkeypatch.setattr(compat, "_pool_singleton", None)
    assert get_credential_pool() is get_credential_pool()
    import original_support  # noqa: F401  (the vendored original platform's package)
    from issue_observatory.core.credential_pool import CredentialPool as Shimmed, get_credential_pool as shimmed

    assert shimmed is get_credential_pool and Shimmed is CredentialPool  # row 1: the original's import works


def test_acquire_gives_str_ids_and_shares_the_credential(pools):
    """Rows 2 and 3: str ids; two acquires of one platform/tier both get the one key."""
    p = pools["compat"]

    async def scenario():
        pool = CredentialPool(env={})
        cred = await pool.acquire(p.platform, p.tier, task_id="celery-1")
        # id (a str, as the original's UUIDs), platform, tier, the fields, api_key = the first field
        assert dict(cred) == {"id": str(p.id), "platform": p.platform, "tier": p.tier, **p.fields, "api_key": p.fields["client_key"]}
        second = await pool.acquire(p.platform, p.tier, task_id="celery-2")  # shared: a second run gets it too
        assert second is not None and second["id"] == str(p.id)
        await pool.release(cred["id"], task_id="celery-1")  # a str id
        await pool.release(int(second["id"]))  # an int id, found without task_id
        assert pool._leases == {}
        await pool.release(cred["id"], task_id="celery-1")  # nothing held any more: a no-op
        await pool.release(999_999)  # never held: a no-op
        await pool.release("env:serper:medium")  # an environment credential's id: a no-op

    run(scenario())


def test_exclusive_mode_is_opt_in(pools, client):
    p = pools["compat"]

    async def scenario():
        pool = CredentialPool(env={}, mode="exclusive")
        cred = await pool.acquire(p.platform, p.tier, task_id="celery-ex")
        assert await pool.acquire(p.platform, p.tier, task_id="celery-ex-2") is None  # max_leases 1
        shared = await pool.acquire(p.platform, p.tier, task_id="celery-sh", mode="shared")  # per call
        assert shared is not None
        await pool.release(cred["id"], task_id="celery-ex")
        await pool.release(shared["id"], task_id="celery-sh")

    run(scenario())


def test_an_existing_api_key_field_is_kept(pools):
    p = pools["compat_api_key"]

    async def scenario():
        pool = CredentialPool(env={})
        cred = await pool.acquire(p.platform, p.tier, task_id="celery-x")
        assert cred["api_key"] == p.fields["api_key"] and cred["bearer_token"] == p.fields["bearer_token"]
        await pool.release(cred["id"], task_id="celery-x")

    run(scenario())


def test_report_error_cools_down_with_or_without_the_lease(pools, admin, client):
    """Row 10's late report: report_error still cools the credential down
    (by id) once its lease has ended."""
    p = pools["compat"]

    async def scenario():
        pool = CredentialPool(env={})
        errors = admin.credential(p.id)["error_count"]
        cred = await pool.acquire(p.platform, p.tier, task_id="celery-err")
        await pool.report_error(cred["id"], ArenaRateLimitError(retry_after=3))  # the lease's report: 3 s
        assert await pool.acquire(p.platform, p.tier, task_id="celery-err-2") is None  # cooling down
        admin.error_count_reaches(p.id, errors + 1)
        return pool, cred

    pool, cred = run(scenario())
    client.acquire(p.platform, p.tier, "py-compat-back", wait=True, timeout=60).release()  # back after 3 s

    async def late():
        await pool.report_error(int(cred["id"]), ArenaRateLimitError(retry_after=120))  # no lease held: by id
        return client.credential(p.id)["cooldown_until"], await pool.acquire(p.platform, p.tier)

    until, again = run(late())
    assert until is not None and again is None
    client.clear_cooldown(p.id)  # the cooldown by id (this key held a lease within the hour)
    admin.reset_errors(p.id)


def test_release_and_report_error_never_raise(pools, admin, env, caplog):
    """Row 8: with the collector key revoked mid-run, release and
    report_error log a WARNING with the code and return."""
    p = pools["compat"]
    made = admin.ok("POST", "/api/api-keys", {"name": "pytest compat revoked", "scope": "collector"})

    async def scenario():
        # TTL 30 s: the leases this revoked key cannot end must not hold up a key rotation's drain for long.
        pool = CredentialPool(url=env["ARENA_VAULT_URL"], api_key=made["key"], env={}, ttl_seconds=30)
        one = await pool.acquire(p.platform, p.tier, task_id="celery-r1")
        two = await pool.acquire(p.platform, p.tier, task_id="celery-r2")
        admin.ok("DELETE", f"/api/api-keys/{made['id']}")
        await pool.release(one["id"], task_id="celery-r1")
        await pool.report_error(two["id"], ArenaRateLimitError(retry_after=5))
        return await pool.acquire(p.platform, p.tier)

    with caplog.at_level(logging.WARNING, logger="arena_vault_client"):
        assert run(scenario()) is None
    records = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "arena_vault_client.compat"]
    assert [lvl for lvl, _ in records] == ["WARNING", "WARNING", "ERROR"], records
    assert all("UNAUTHENTICATED" in msg for _, msg in records)
    assert made["key"] not in caplog.text


def test_environment_fallback_uses_the_original_names(monkeypatch):
    """Row 9: no credential in the vault → the original's variables, from env= (not os.environ)."""

    async def scenario():
        pool = CredentialPool(env={"MAJESTIC_API_KEY": "env-majestic", "MAJESTIC_PREMIUM_API_KEY": "generic"})
        cred = await pool.acquire("majestic", "premium")  # no majestic row in the fixture
        assert dict(cred) == {"id": "env:majestic:premium", "platform": "majestic", "tier": "premium", "api_key": "env-majestic"}
        await pool.report_error(cred["id"], ArenaRateLimitError())  # in memory, as the original: cooled down
        after = await pool.acquire("majestic", "premium")  # the generic {PLATFORM}_{TIER}_API_KEY next
        assert (after["id"], after["api_key"]) == ("MAJESTIC_PREMIUM_API_KEY", "generic")
        await pool.report_error(after["id"], "auth_failed")
        numbered = CredentialPool(env={"MAJESTIC_PREMIUM_API_KEY_2": "k2", "MAJESTIC_PREMIUM_API_KEY": "k1"})
        first = await numbered.acquire("majestic", "premium")
        assert (first["id"], first["api_key"]) == ("MAJESTIC_PREMIUM_API_KEY", "k1")
        return await pool.acquire("majestic", "premium"), await CredentialPool(env={}).acquire("majestic", "premium")

    cooled, nothing = run(scenario())
    assert cooled is None and nothing is None


def test_get_redis_serves_the_two_original_key_patterns(pools, client):
    p = pools["compat"]

    async def scenario():
        pool = CredentialPool(env={})
        redis = await pool._get_redis()
        with pytest.raises(UnsupportedRedisKey, match=r"credential:cooldown:\{id\}.*threads:token_expiry:\{id\}"):
            await redis.get("credential:lease:1:task")
        with pytest.raises(UnsupportedRedisKey):
            await redis.setex("ratelimit:x", 10, "1")
        cred = await pool.acquire(p.platform, p.tier, task_id="celery-redis")  # cooldown by id needs a recent lease
        key = f"credential:cooldown:{cred['id']}"
        assert await redis.get(key) is None
        assert await redis.setex(key, 300, "flood_wait") is True
        assert await redis.get(key) is not None
        assert await pool.acquire(p.platform, p.tier) is None  # every worker skips it now
        assert await redis.delete(key) == 1
        assert await redis.get(key) is None
        expiry = f"threads:token_expiry:{cred['id']}"
        await redis.setex(expiry, 86400, "2027-03-01T12:00:00.250000+00:00")
        assert await redis.get(expiry) == "2027-03-01T12:00:00.250000+00:00"
        await redis.delete(expiry)
        assert await redis.get(expiry) is None
        await pool.release(cred["id"], task_id="celery-redis")

    run(scenario())


def test_query_db_credentials_lists_metadata_only(pools, secrets):
    p = pools["youtube"]
    rows = run(CredentialPool(env={})._query_db_credentials(p.platform, p.tier))
    assert sorted(r.id for r in rows) == sorted(str(c["id"]) for c in p.credentials)
    assert all(isinstance(r.id, str) and r.is_active and r.platform == "youtube" for r in rows)
    text = repr(rows) + str([r.__slots__ for r in rows]) + str([[getattr(r, a) for a in r.__slots__] for r in rows])
    assert not any(s in text for s in secrets)
