"""Each vault error code maps to its exception class, with no server needed:
the rotation lock (423 ``COLLECTION_LOCKED``) is ``CollectionLocked``; a second
rotation start (409 ``ROTATION_IN_PROGRESS``) is a ``Conflict``, not the lock."""

from __future__ import annotations

from arena_vault_client import CollectionLocked, Conflict
from arena_vault_client.errors import error_from_response


def test_the_collection_lock_is_collection_locked():
    body = {"error": {"code": "COLLECTION_LOCKED", "message": "Collection is paused.", "details": {"locked_since": "2026-01-01T00:00:00.000Z"}}}
    e = error_from_response(423, body, 30)
    assert isinstance(e, CollectionLocked)
    assert (e.code, e.status, e.retry_after, e.locked_since) == ("COLLECTION_LOCKED", 423, 30, "2026-01-01T00:00:00.000Z")


def test_a_second_rotation_start_is_a_conflict_not_the_lock():
    e = error_from_response(409, {"error": {"code": "ROTATION_IN_PROGRESS", "message": "Already running.", "details": {"rotation": {}}}}, None)
    assert isinstance(e, Conflict) and not isinstance(e, CollectionLocked)


def test_details_are_read_from_error_details_only():
    # The vault nests a code's extra facts under ``error.details``; a member beside code and message is not one.
    body = {
        "error": {
            "code": "NO_CREDENTIAL_AVAILABLE",
            "message": "Nothing free.",
            "request_id": "r-1",
            "reason": "flat",
            "details": {"reason": "all_leased", "code": "FORGED", "message": "forged"},
        }
    }
    e = error_from_response(404, body, None)
    assert (e.code, e.message, e.reason) == ("NO_CREDENTIAL_AVAILABLE", "Nothing free.", "all_leased")
    assert e.details == {"reason": "all_leased", "code": "FORGED", "message": "forged"}
    assert error_from_response(404, {"error": {"code": "NOT_FOUND", "message": "No route."}}, None).details == {}
