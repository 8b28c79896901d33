"""K threads each computing sha256 over a --mib MiB buffer --count times, vs sequential.

hashlib releases the GIL while hashing buffers over 2 KiB when it is backed by OpenSSL
(`_hashlib`); the built-in fallback module of Python 2 (`_sha256`) keeps it.
Measures: sequential_s, threaded_s, speedup, hash_ns (median time of one hash, sequential part),
releases_gil. gilsim: scenarios/hash2.json ({"native": hash_ns} per hash) or hash2_gil.json
({"native_gil": hash_ns}) when the GIL is kept; compared with `speedup`.
"""
from __future__ import print_function

import argparse
import hashlib

from _common import clock, emit, pct, run_threads  # noqa: F401


def hasher(buf, count, out=None):
    for _ in range(count):
        t0 = clock()
        hashlib.sha256(buf).digest()
        if out is not None:
            out.append(clock() - t0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--mib", type=float, default=1.0)
    a = ap.parse_args()
    try:
        import _hashlib  # noqa: F401  (OpenSSL backend: releases the GIL)
        releases = True
    except ImportError:
        releases = False
    buf = b"x" * int(a.mib * (1 << 20))
    hasher(buf, 2)
    times = []

    def sequential():
        for _ in range(a.threads):
            hasher(buf, a.count, times)
    seq = run_threads(sequential, [()])  # in a worker thread, like cpu_threads.py
    thr = run_threads(hasher, [(buf, a.count)] * a.threads)
    emit({"workload": "hashers", "threads": a.threads, "count": a.count, "mib": a.mib,
          "releases_gil": releases, "hash_ns": pct(times, 50) * 1e9,
          "sequential_s": seq, "threaded_s": thr, "speedup": seq / thr})


if __name__ == "__main__":
    main()
