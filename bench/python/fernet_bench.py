#!/usr/bin/env python3
"""pyca/cryptography Fernet on the same machine, as the baseline for the
fernet section of `npm run bench` (bench/sections/fernet.ts runs this).

Same work as the workerd side (bench/routes/fernet.ts): one key imported once,
the same 94-byte JSON credential, encrypt / decrypt / MultiFernet([new, old])
.rotate(token under old), each run sequentially in trials of about --seconds.
Prints one JSON object: best and median trial per operation, in ops/s.

Usage: python3 bench/python/fernet_bench.py [--seconds 1] [--trials 5]
"""
import argparse
import json
import statistics
import sys
import time

import cryptography
from cryptography.fernet import Fernet, MultiFernet

CREDENTIAL_94 = b'{"api_key":"AIzaSyB3xQ7lC2vN9mK4pR8tW1zY6uE5oI0aS3d","cx":"017643444788069204610:4gvhea_mvga"}'
assert len(CREDENTIAL_94) == 94


def rate(fn, seconds, trials):
    # Calibrate n to about `seconds` per trial, then time the trials.
    n = 1000
    while True:
        t = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - t
        if elapsed >= 0.2:
            break
        n = int(n * min(10, 0.25 / max(elapsed, 1e-4))) + 1
    n = max(1, int(n * seconds / elapsed))
    rates = []
    for _ in range(trials):
        t = time.perf_counter()
        for _ in range(n):
            fn()
        rates.append(n / (time.perf_counter() - t))
    return round(max(rates)), round(statistics.median(rates))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=1.0)
    p.add_argument("--trials", type=int, default=5)
    a = p.parse_args()
    current, previous = Fernet(Fernet.generate_key()), Fernet(Fernet.generate_key())
    ring = MultiFernet([current, previous])
    token = current.encrypt(CREDENTIAL_94)
    old_token = previous.encrypt(CREDENTIAL_94)
    enc = rate(lambda: current.encrypt(CREDENTIAL_94), a.seconds, a.trials)
    dec = rate(lambda: current.decrypt(token), a.seconds, a.trials)
    rot = rate(lambda: ring.rotate(old_token), a.seconds, a.trials)
    print(json.dumps({
        "runtime": "python-cryptography",
        "encrypt_ops_s": enc[0],
        "decrypt_ops_s": dec[0],
        "rotate_ops_s": rot[0],
        "payload_bytes": len(CREDENTIAL_94),
        "median": {"encrypt_ops_s": enc[1], "decrypt_ops_s": dec[1], "rotate_ops_s": rot[1]},
        "stat": f"best of {a.trials} trials of ~{a.seconds:g} s",
        "version": f"cryptography {cryptography.__version__}, Python {sys.version.split()[0]}",
    }))


if __name__ == "__main__":
    main()
