"""16 threads, 4 credentials with a lease limit of 1: never two holders at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from arena_vault_client import NoCredentialAvailable

THREADS = 16


def test_sixteen_simultaneous_acquires_get_four_distinct_credentials(client, pools):
    p = pools["exclusive"]
    ids = {c["id"] for c in p.credentials}
    assert len(ids) == 4
    start, done = threading.Barrier(THREADS), threading.Barrier(THREADS)

    def attempt(i: int):
        start.wait()
        try:
            lease = client.acquire(p.platform, p.tier, f"py-ex-{i}", ttl_seconds=120)
        except NoCredentialAvailable as e:
            lease = e
        done.wait()  # every thread has tried before any lease is given back
        return lease

    with ThreadPoolExecutor(THREADS) as ex:
        results = list(ex.map(attempt, range(THREADS)))
    leases = [r for r in results if not isinstance(r, NoCredentialAvailable)]
    refused = [r for r in results if isinstance(r, NoCredentialAvailable)]
    try:
        assert sorted(l.credential_id for l in leases) == sorted(ids)
        for lease in leases:
            assert lease.fields == p.fields_of(lease.credential_id)
        assert len(refused) == THREADS - 4
        assert {r.reason for r in refused} == {"all_leased"}
        assert all(r.retry_after is not None and r.retry_after > 0 for r in refused)
    finally:
        for lease in leases:
            lease.release()


def test_sixteen_threads_churning_never_share_a_credential(client, pools):
    p = pools["exclusive"]
    cycles_per_thread = 8
    guard = threading.Lock()
    held: set[int] = set()
    overlaps: list[int] = []
    peak = [0]
    cycles = [0]

    def worker(i: int) -> None:
        done = 0
        while done < cycles_per_thread:
            try:
                lease = client.acquire(p.platform, p.tier, f"py-churn-{i}-{done}", ttl_seconds=120)
            except NoCredentialAvailable:
                time.sleep(0.01)
                continue
            with guard:
                if lease.credential_id in held:
                    overlaps.append(lease.credential_id)
                held.add(lease.credential_id)
                peak[0] = max(peak[0], len(held))
            time.sleep(0.005)  # "use" the key
            with guard:
                held.discard(lease.credential_id)  # before release: the vault may re-lease it right after
                cycles[0] += 1
            lease.release()
            done += 1

    with ThreadPoolExecutor(THREADS) as ex:
        list(ex.map(worker, range(THREADS)))
    assert overlaps == []
    assert cycles[0] == THREADS * cycles_per_thread
    assert 1 <= peak[0] <= 4
