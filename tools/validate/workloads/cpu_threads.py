"""K threads each counting down N vs the same K countdowns done one after another.

Measures: sequential_s (the K countdowns one after another in ONE worker thread), threaded_s
(K threads at once) and speedup = sequential_s / threaded_s; also sequential_main_s, the same
sequential work in the main thread (on 3.11 it ran ~10% slower than in a worker thread here, so
the worker-thread baseline keeps the comparison about the GIL alone).
gilsim: scenarios/cpu{2,4}*.json, K threads of {"cpu": {"ticks": 2N}}; compared with the
report's `speedup` (serial_ns / makespan_ns). Run under `taskset -c 0` for the one-core case.
"""
from __future__ import print_function

import argparse

from _common import add_interval_args, clock, count, emit, run_threads, set_interval


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n", type=int, default=3000000, help="countdown per thread")
    add_interval_args(ap)
    a = ap.parse_args()
    set_interval(a.switch_interval, a.check_interval)
    count(100000)  # warm up

    def sequential():
        for _ in range(a.threads):
            count(a.n)
    t0 = clock()
    sequential()
    seq_main = clock() - t0
    seq = run_threads(sequential, [()])
    thr = run_threads(count, [(a.n,)] * a.threads)
    emit({"workload": "cpu_threads", "threads": a.threads, "n": a.n, "sequential_s": seq,
          "sequential_main_s": seq_main, "threaded_s": thr, "speedup": seq / thr})


if __name__ == "__main__":
    main()
