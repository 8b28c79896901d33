"""K threads each counting down N vs the same K countdowns done one after another.

Measures: sequential_s (the K countdowns one after another in one worker thread), threaded_s
(K threads at once) and speedup = sequential_s / threaded_s. count() is called 16 times first so
that 3.11+ runs specialised code in both phases (see _common.warm_up).
gilsim: scenarios/cpu{2,4}*.json, K threads of {"cpu": {"ticks": 2N}}; compared with the
report's `speedup` (serial_ns / makespan_ns). Run under `taskset -c 0` for the one-core case.
Also the threaded phase's context switches (getrusage: voluntary, involuntary), against the
report's threads' voluntary_switches and involuntary_switches.
"""
from __future__ import print_function

import argparse
import resource

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
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    thr = run_threads(count, [(a.n,)] * a.threads)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    # The threaded phase's context switches (all threads of the process; Linux counts a
    # voluntary one when a thread blocks, e.g. in the GIL's futex_wait, an involuntary one when
    # it is preempted): gilsim's report counts the same per thread (voluntary_switches,
    # involuntary_switches).
    emit({"workload": "cpu_threads", "threads": a.threads, "n": a.n, "sequential_s": seq,
          "threaded_s": thr, "speedup": seq / thr,
          "threaded_csw_voluntary": r1.ru_nvcsw - r0.ru_nvcsw,
          "threaded_csw_involuntary": r1.ru_nivcsw - r0.ru_nivcsw})


if __name__ == "__main__":
    main()
