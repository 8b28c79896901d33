"""Two threads counting down N at once, against the same two countdowns one after another.

The sequential part runs in the main thread before any other thread exists, so that on Python 2.7
the GIL is not created yet and every release at a check in the process belongs to the threaded
part: tools/validate/fight --python runs this under libgilsim-semshim.so and divides the futex
counts by those checks. The two threads start together behind an Event (_common.run_threads).
Measures sequential_s, threaded_s, speedup. gilsim: the cpu2 scenario.
"""
from __future__ import print_function

import argparse

from _common import add_interval_args, clock, count, emit, run_threads, set_interval, warm_up


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=4000000, help="countdown per thread")
    add_interval_args(ap)
    a = ap.parse_args()
    set_interval(a.switch_interval, a.check_interval)
    warm_up()
    t = clock()
    count(a.n)
    count(a.n)
    seq = clock() - t
    thr = run_threads(count, [(a.n,)] * 2)
    emit({"workload": "gil_fight", "n": a.n, "sequential_s": seq, "threaded_s": thr, "speedup": seq / thr})


if __name__ == "__main__":
    main()
