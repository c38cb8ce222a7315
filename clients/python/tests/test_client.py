"""The sync client against the real vault: leases, the context manager,
Retry-After waiting and the error classes."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from arena_vault_client import (
    LeaseExpired,
    NoCredentialAvailable,
    TransportError,
    Unauthorized,
    ValidationFailed,
    VaultClient,
    VaultError,
    error_kind,
)


class ArenaRateLimitError(Exception):
    """As the original platform's: carries the platform's Retry-After."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ArenaAuthError(Exception):
    pass


def test_happy_path_acquire_renew_release(client, pools):
    p = pools["happy"]
    lease = client.acquire(p.platform, p.tier, "py-happy", ttl_seconds=60)
    assert lease.credential_id == p.id
    assert (lease.platform, lease.tier) == (p.platform, p.tier)
    assert lease.fields == p.fields and isinstance(lease.fields, dict)
    assert lease.expires_at.tzinfo is not None and lease.expires_at > datetime.now(timezone.utc)
    first_expiry = lease.expires_at

    renewed = lease.renew(ttl_seconds=3600)
    assert renewed["lease_id"] == lease.lease_id
    assert lease.expires_at > first_expiry

    assert lease.release(units_used=2) == {"lease_id": lease.lease_id, "credential_id": p.id, "expired": False}
    assert lease.ended
    with pytest.raises(LeaseExpired) as e:
        lease.release()
    assert (e.value.code, e.value.status) == ("LEASE_EXPIRED", 410)


def test_context_manager_releases_on_normal_exit(client, pools):
    p = pools["context"]
    with client.lease(p.platform, p.tier, "py-ctx-ok") as lease:
        assert lease.fields == p.fields
    assert lease.ended
    # Released, not reported: the only credential is leasable again at once.
    client.acquire(p.platform, p.tier, "py-ctx-again").release()


def test_context_manager_reports_other_and_reraises(client, pools, admin):
    p = pools["context"]
    before = admin.credential(p.id)["error_count"]
    with pytest.raises(ValueError, match="parser broke"):
        with client.lease(p.platform, p.tier, "py-ctx-other") as lease:
            raise ValueError("parser broke")
    assert lease.ended
    with pytest.raises(NoCredentialAvailable) as e:
        client.acquire(p.platform, p.tier, "py-ctx-cooling")
    assert e.value.reason == "all_cooling_down"
    assert 0 < e.value.retry_after <= 60  # "other": the first error cools down one minute
    admin.error_count_reaches(p.id, before + 1)
    admin.reset_errors(p.id)


def test_context_manager_passes_a_rate_limit_retry_after(client, pools, admin):
    p = pools["context"]
    with pytest.raises(ArenaRateLimitError):
        with client.lease(p.platform, p.tier, "py-ctx-429"):
            raise ArenaRateLimitError("429 from the platform", retry_after=3)
    with pytest.raises(NoCredentialAvailable) as e:
        client.acquire(p.platform, p.tier, "py-ctx-429-check")
    assert e.value.reason == "all_cooling_down" and 0 < e.value.retry_after <= 3  # not the 60 s of a plain error
    admin.reset_errors(p.id)


def test_an_auth_error_in_the_block_is_reported_as_auth_failed(client, pools, admin):
    # The vault deactivates a credential on its third auth_failed in a row. Two
    # are reported directly (1 s cooldowns); the third comes from the context
    # manager: the credential is deactivated only if that one was auth_failed.
    p = pools["context"]
    for i in range(2):
        client.acquire(p.platform, p.tier, f"py-auth-{i}", wait=True, timeout=60).report_error("auth_failed", retry_after=1)
        assert admin.credential(p.id)["is_active"] is True
    with pytest.raises(ArenaAuthError):
        with client.lease(p.platform, p.tier, "py-auth-ctx", wait=True, timeout=60):
            raise ArenaAuthError("401 from the platform")
    assert admin.credential(p.id)["is_active"] is False
    admin.ok("POST", f"/api/credentials/{p.id}/activate")
    admin.reset_errors(p.id)


def test_keyboard_interrupt_releases_instead_of_reporting(client, pools, admin):
    p = pools["context"]
    errors = admin.credential(p.id)["error_count"]
    with pytest.raises(KeyboardInterrupt):
        with client.lease(p.platform, p.tier, "py-ctx-interrupt"):
            raise KeyboardInterrupt
    assert admin.error_count_settled(p.id) == errors
    client.acquire(p.platform, p.tier, "py-ctx-after-interrupt").release()  # released, not cooling down


def test_error_kind_mapping():
    class PlatformRateLimitError(Exception):
        pass

    class SubRateLimit(PlatformRateLimitError):
        pass

    class AuthenticationError(Exception):
        pass

    assert error_kind(ArenaRateLimitError("x")) == "rate_limited"
    assert error_kind(SubRateLimit()) == "rate_limited"  # any class in the MRO counts
    assert error_kind(ArenaAuthError()) == "auth_failed"
    assert error_kind(AuthenticationError()) == "auth_failed"
    assert error_kind(TimeoutError()) == "other"
    assert error_kind(KeyError("x")) == "other"


def test_no_credential_available_is_404_with_reason_and_retry_after(client, pools):
    with pytest.raises(NoCredentialAvailable) as none:
        client.acquire("majestic", "premium", "py-none")
    assert (none.value.code, none.value.status, none.value.reason) == ("NO_CREDENTIAL_AVAILABLE", 404, "none_configured")
    assert none.value.retry_after is None

    p = pools["busy"]
    held = client.acquire(p.platform, p.tier, "py-busy-1", ttl_seconds=30)
    try:
        with pytest.raises(NoCredentialAvailable) as busy:
            client.acquire(p.platform, p.tier, "py-busy-2")
        assert busy.value.reason == "all_leased"
        assert 0 < busy.value.retry_after <= 30
        assert busy.value.details["configured"] == 1 and busy.value.details["leased"] == 1
        # wait=True gives up at once when the Retry-After falls past the deadline.
        with pytest.raises(NoCredentialAvailable):
            client.acquire(p.platform, p.tier, "py-busy-3", wait=True, timeout=1)
    finally:
        held.release()


def test_wait_true_honours_retry_after(client, pools):
    p = pools["busy"]
    first = client.acquire(p.platform, p.tier, "py-wait-1")
    first.report_error("rate_limited", "the message is never sent", retry_after=3)
    with pytest.raises(NoCredentialAvailable) as e:
        client.acquire(p.platform, p.tier, "py-wait-2")
    assert e.value.reason == "all_cooling_down" and 0 < e.value.retry_after <= 3
    lease = client.acquire(p.platform, p.tier, "py-wait-3", wait=True, timeout=60)
    assert lease.credential_id == p.id
    lease.release()


def test_validation_failed_names_the_fields(client):
    with pytest.raises(ValidationFailed) as tier:
        client.acquire("serper", "gold", "py-bad")
    assert (tier.value.status, tier.value.code) == (422, "VALIDATION_FAILED")
    assert [f["field"] for f in tier.value.fields] == ["tier"]
    with pytest.raises(ValidationFailed) as task:
        client.acquire("serper", "medium", "")
    assert task.value.fields[0]["field"] == "task_id"
    with pytest.raises(ValueError):
        VaultClient("ftp://vault", "k")


def test_unknown_key_is_unauthorized(env):
    bad = VaultClient(env["ARENA_VAULT_URL"], "av_aaaaaaaa_" + "b" * 43)
    with pytest.raises(Unauthorized) as e:
        bad.acquire("serper", "medium", "py-401")
    assert (e.value.code, e.value.status) == ("UNAUTHENTICATED", 401)
    assert isinstance(e.value, VaultError)


def test_unreachable_vault_is_a_transport_error():
    with pytest.raises(TransportError) as e:
        VaultClient("http://127.0.0.1:9", "av_x_y", timeout=5).acquire("serper", "medium", "py-down")
    assert (e.value.code, e.value.status) == ("TRANSPORT_FAILED", 0)
