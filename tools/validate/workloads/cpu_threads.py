"""K threads each counting down N vs the same K countdowns done one after another.

Measures: sequential_s (the K countdowns one after another in one worker thread), threaded_s
(K threads at once) and speedup = sequential_s / threaded_s. count() is called 16 times first so
that 3.11+ runs specialised code in both phases (see _common.warm_up).
gilsim: scenarios/cpu{2,4}*.json, K threads of {"cpu": {"ticks": 2N}}; compared with the
report's `speedup` (serial_ns / makespan_ns). Run under `taskset -c 0` for the one-core case.
"""
from __future__ import print_function

import argparse

from _common import add_interval_args, count, emit, run_threads, set_interval, warm_up


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--n", type=int, default=3000000, help="countdown per thread")
    add_interval_args(ap)
    a = ap.parse_args()
    set_interval(a.switch_interval, a.check_interval)
    warm_up()

    def sequential():
        for _ in range(a.threads):
            count(a.n)
    seq = run_threads(sequential, [()])
    thr = run_threads(count, [(a.n,)] * a.threads)
    emit({"workload": "cpu_threads", "threads": a.threads, "n": a.n, "sequential_s": seq,
          "threaded_s": thr, "speedup": seq / thr})


if __name__ == "__main__":
    main()
