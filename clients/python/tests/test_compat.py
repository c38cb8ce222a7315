"""compat.CredentialPool: the original platform's async signatures, end to end."""

from __future__ import annotations

import asyncio

import pytest

from arena_vault_client.compat import CredentialPool


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
    assert CredentialPool(url=env["ARENA_VAULT_URL"], api_key=env["ARENA_VAULT_API_KEY"])


def test_acquire_returns_the_original_dict_and_none_when_nothing_is_free(pools):
    p = pools["compat"]

    async def scenario():
        pool = CredentialPool()
        cred = await pool.acquire(p.platform, p.tier, task_id="celery-1")
        # id, platform, tier, the decrypted fields, and api_key = the first field (no field is named api_key)
        assert dict(cred) == {"id": p.id, "platform": p.platform, "tier": p.tier, **p.fields, "api_key": p.fields["handle"]}
        assert await pool.acquire(p.platform, p.tier, task_id="celery-2") is None  # leased: None, as the original
        await pool.release(cred["id"], task_id="celery-1")
        again = await pool.acquire(p.platform, p.tier)  # no task_id
        assert again["id"] == p.id
        await pool.release(again["id"])  # found by credential id alone
        third = await pool.acquire(p.platform, p.tier, task_id="celery-3")
        assert third is not None
        await pool.release(third["id"], task_id="celery-3")
        await pool.release(third["id"], task_id="celery-3")  # nothing held any more: a no-op
        await pool.release(999_999)  # never held: a no-op

    run(scenario())


def test_an_existing_api_key_field_is_kept(pools):
    p = pools["compat_api_key"]

    async def scenario():
        pool = CredentialPool()
        cred = await pool.acquire(p.platform, p.tier, task_id="celery-x")
        assert cred["api_key"] == p.fields["api_key"] and cred["bearer_token"] == p.fields["bearer_token"]
        await pool.release(cred["id"], task_id="celery-x")

    run(scenario())


def test_report_error_ends_the_lease_and_cools_the_credential_down(pools, admin, client):
    p = pools["compat"]

    async def scenario():
        pool = CredentialPool()
        errors = admin.credential(p.id)["error_count"]
        cred = await pool.acquire(p.platform, p.tier, task_id="celery-err")
        await pool.report_error(cred["id"], ArenaRateLimitError(retry_after=3))
        assert await pool.acquire(p.platform, p.tier, task_id="celery-err-2") is None  # cooling down (3 s)
        await pool.report_error(cred["id"], "rate_limited")  # no lease held any more: a no-op
        admin.error_count_reaches(p.id, errors + 1)
        assert admin.error_count_settled(p.id) == errors + 1  # and the no-op added nothing

    run(scenario())
    # Back after the 3 s the exception asked for.
    client.acquire(p.platform, p.tier, "py-compat-back", wait=True, timeout=60).release()

