"""K threads each blocking in select() (or time.sleep) `--count` times for `--sleep` seconds,
vs the same calls made one after another by one thread.

Measures: sequential_s, threaded_s, speedup. gilsim: scenarios/sleep2.json, each thread
{"loop": count, "do": [{"io": sleep}, {"cpu": {"ticks": 100}}]}; compared with `speedup`.
"""
from __future__ import print_function

import argparse
import select
import time

from _common import clock, emit, run_threads


def sleeper(count, seconds, use_select):
    for _ in range(count):
        if use_select:
            select.select([], [], [], seconds)
        else:
            time.sleep(seconds)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--count", type=int, default=5)
    ap.add_argument("--sleep", type=float, default=0.04)
    ap.add_argument("--use-sleep", action="store_true", help="time.sleep instead of select")
    a = ap.parse_args()
    sel = not a.use_sleep
    t0 = clock()
    for _ in range(a.threads):
        sleeper(a.count, a.sleep, sel)
    seq = clock() - t0
    thr = run_threads(sleeper, [(a.count, a.sleep, sel)] * a.threads)
    emit({"workload": "sleepers", "threads": a.threads, "count": a.count, "sleep_s": a.sleep,
          "sequential_s": seq, "threaded_s": thr, "speedup": seq / thr})


if __name__ == "__main__":
    main()
