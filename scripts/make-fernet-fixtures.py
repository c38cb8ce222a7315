#!/usr/bin/env python3
"""Writes the Python-made Fernet fixtures that test/crypto/python-fixtures.test.ts checks.

The tokens come from pyca/cryptography (the original platform's Fernet), so the
tests prove that our TypeScript Fernet opens what Python wrote, byte for byte,
and that `encryptAtTime(data, t, iv)` writes exactly what pyca's
`_encrypt_from_parts(data, t, iv)` writes for the same key, time and IV.

Everything is deterministic (fixed keys, times and IVs) except the MultiFernet
rotations, whose IV pyca draws from os.urandom; for those the fixture records
the rotated token and the test checks what rotation promises (new key, same
timestamp, same plaintext), not the bytes.

Usage (from the repository root):
    python3 scripts/make-fernet-fixtures.py            # rewrite the fixtures
    python3 scripts/make-fernet-fixtures.py --check    # exit 1 if they would change

The keys below are test-only keys that protect nothing.
"""
import base64
import hashlib
import json
import os
import sys

import cryptography
from cryptography.fernet import Fernet, MultiFernet

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "fernet")

# Test-only keys: fixed so the fixtures are reproducible.
KEY_A = base64.urlsafe_b64encode(bytes(range(32))).decode()
KEY_B = base64.urlsafe_b64encode(hashlib.sha256(b"arena-vault fixture key B").digest()).decode()
KEY_C = base64.urlsafe_b64encode(hashlib.sha256(b"arena-vault fixture key C").digest()).decode()

# A realistic credential as the vault stores it: a JSON object of the
# platform's fields, exactly 94 bytes (the benchmark payload). Fake values.
CREDENTIAL_94 = '{"api_key":"AIzaSyB3xQ7lC2vN9mK4pR8tW1zY6uE5oI0aS3d","cx":"017643444788069204610:4gvhea_mvga"}'
assert len(CREDENTIAL_94.encode()) == 94


def iv_for(name: str) -> bytes:
    return hashlib.sha256(b"iv:" + name.encode()).digest()[:16]


def payloads():
    """(name, bytes) pairs: boundaries, unicode, binary and large payloads."""
    yield "empty", b""
    yield "hello", b"hello"
    yield "one-byte", b"x"
    for n in (15, 16, 17, 31, 32, 33):
        yield f"ascii-{n}", bytes((ord("a") + i % 26) for i in range(n))
    yield "unicode", "Grüße, 世界! 🔐 ñandú — \u0301e\u200d".encode("utf-8")
    yield "all-byte-values", bytes(range(256))
    yield "zeros-48", bytes(48)
    yield "binary-1500", hashlib.shake_256(b"arena-vault binary").digest(1500)
    yield "json-credential-94", CREDENTIAL_94.encode()
    yield "json-credential-large", json.dumps(
        {"client_id": "a" * 40, "client_secret": "b" * 64, "refresh_token": "r" * 900, "scopes": ["read", "write"]},
        separators=(",", ":"),
    ).encode()


TIMESTAMPS = [0, 1, 499162800, 1700000000, 2**32, 2**53 - 1]


def b64(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).decode()


def make_tokens():
    entries = []
    for i, (name, data) in enumerate(payloads()):
        for key in (KEY_A, KEY_B):
            ts = TIMESTAMPS[i % len(TIMESTAMPS)] if key == KEY_A else 1700000000 + i
            iv = iv_for(f"{name}:{key}")
            token = Fernet(key)._encrypt_from_parts(data, ts, iv).decode()
            entries.append({
                "name": name,
                "key": key,
                "timestamp": ts,
                "iv": b64(iv),
                "plaintext": b64(data),
                "token": token,
            })
    # Times beyond 2**53 cannot be a JS number exactly; the test checks the
    # token still opens and that rotation keeps those 8 bytes unchanged.
    big = Fernet(KEY_A)._encrypt_from_parts(b"far future", 2**64 - 1, iv_for("big")).decode()
    return {
        "generator": "scripts/make-fernet-fixtures.py",
        "cryptography": cryptography.__version__,
        "note": "pyca Fernet._encrypt_from_parts(plaintext, timestamp, iv) under key; plaintext and iv are url-safe base64",
        "tokens": entries,
        "big_timestamp": {"key": KEY_A, "timestamp": str(2**64 - 1), "plaintext": b64(b"far future"), "token": big},
    }


def make_rotations():
    old = Fernet(KEY_B)
    new = Fernet(KEY_C)
    ring = MultiFernet([new, old])
    rotations = []
    for name, data in payloads():
        if name not in ("empty", "unicode", "json-credential-94", "binary-1500"):
            continue
        ts = 1600000000
        original = old._encrypt_from_parts(data, ts, iv_for("rotate:" + name)).decode()
        rotated = ring.rotate(original.encode()).decode()
        assert new.extract_timestamp(rotated) == ts
        rotations.append({"name": name, "timestamp": ts, "plaintext": b64(data), "original": original, "rotated": rotated})
    return {
        "generator": "scripts/make-fernet-fixtures.py",
        "cryptography": cryptography.__version__,
        "note": "original is under old_key; rotated = MultiFernet([new_key, old_key]).rotate(original) (random IV)",
        "old_key": KEY_B,
        "new_key": KEY_C,
        "rotations": rotations,
    }


def main():
    check = "--check" in sys.argv[1:]
    os.makedirs(OUT_DIR, exist_ok=True)
    stale = []
    for filename, content in (("python-tokens.json", make_tokens()), ("python-rotate.json", make_rotations())):
        path = os.path.join(OUT_DIR, filename)
        text = json.dumps(content, indent=2, ensure_ascii=True) + "\n"
        if check:
            existing = open(path).read() if os.path.exists(path) else ""
            # Rotations use a random IV: compare everything but the rotated tokens.
            if filename == "python-rotate.json":
                strip = lambda d: {**d, "rotations": [{k: v for k, v in r.items() if k != "rotated"} for r in d["rotations"]]}
                same = existing and strip(json.loads(existing)) == strip(content)
            else:
                same = existing == text
            if not same:
                stale.append(filename)
            continue
        with open(path, "w") as f:
            f.write(text)
        print(f"wrote {os.path.relpath(path)}")
    if check:
        if stale:
            print("stale fixtures: " + ", ".join(stale) + " (run python3 scripts/make-fernet-fixtures.py)", file=sys.stderr)
            sys.exit(1)
        print("fixtures up to date")


if __name__ == "__main__":
    main()
