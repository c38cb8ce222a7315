"""The vendored original modules are unmodified: each file's git blob id is
the one MANIFEST gives (equal to upstream's `git ls-tree ed37933`), and every
other file under tests/original/src is a listed stub or the one-line shim."""

from __future__ import annotations

import hashlib
from pathlib import Path

ORIGINAL = Path(__file__).resolve().parent / "original"
STUBS = {
    "issue_observatory/config/settings.py",
    "issue_observatory/core/models/__init__.py",
    "issue_observatory/core/models/content.py",
    "issue_observatory/workers/celery_app.py",
}
SHIM = "issue_observatory/core/credential_pool.py"


def blob_id(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def manifest() -> dict[str, str]:
    lines = [l for l in (ORIGINAL / "MANIFEST").read_text().splitlines() if l and not l.startswith("#")]
    return {path: blob for blob, path in (l.split() for l in lines)}


def test_every_vendored_file_is_byte_for_byte_upstream():
    listed = manifest()
    assert len(listed) >= 30
    for path, blob in listed.items():
        assert blob_id((ORIGINAL / "src" / path).read_bytes()) == blob, f"{path} differs from ed37933"


def test_everything_else_is_a_listed_stub_or_the_shim():
    present = {p.relative_to(ORIGINAL / "src").as_posix() for p in (ORIGINAL / "src").rglob("*.py")}
    assert present - set(manifest()) == STUBS | {SHIM}
    readme = (ORIGINAL / "README.md").read_text()
    assert all(s.split("/", 1)[1] in readme for s in STUBS), "every stub is listed in tests/original/README.md"
    code = [l for l in (ORIGINAL / "src" / SHIM).read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert code == ["from arena_vault_client.compat import CredentialPool, get_credential_pool  # noqa: F401"]
