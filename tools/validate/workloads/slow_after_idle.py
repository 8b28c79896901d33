"""How much slower a thread runs after its core has idled (costs.cold_slow's probe).

While a forked process keeps another core busy, the thread sleeps d (time.sleep) and then runs
a fixed stretch of work, timed in segments: --what count: 2,000 34-iteration countdowns, in
segments ending after 2, 10, 25, 50, 100, 200, 400, 800 and 2,000 of them; --what select: 40
select.select([sock], [], [], 0) calls one by one. Per idle time the median of each segment
over the repetitions, against the same after a 20 us sleep: prints one line per idle time with
the ratios and the extra time (us) per segment. The idle times are run one after another, as
in docs/validation-measurements.md "Slower running after an idle" (tools/calibrate's bench lets
them take turns instead).

    python slow_after_idle.py --what count
"""
from __future__ import print_function

import argparse
import os
import select
import socket
import time

from _common import clock, count

IDLES = (0.00002, 0.0002, 0.001, 0.003, 0.005, 0.010, 0.030)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--what", choices=("count", "select"), default="count")
    args = ap.parse_args()
    if args.what == "count":
        bounds = [0, 2, 10, 25, 50, 100, 200, 400, 800, 2000]
        rl = None
    else:
        bounds = list(range(41))
        a, b = socket.socketpair()
        a.setblocking(False)
        rl = [a]
    ts = [0.0] * len(bounds)

    def run():
        ts[0] = clock()
        for j in range(1, len(bounds)):
            for _ in range(bounds[j] - bounds[j - 1]):
                if rl is None:
                    count(34)
                else:
                    select.select(rl, [], [], 0)
            ts[j] = clock()
        return [ts[j] - ts[j - 1] for j in range(1, len(bounds))]

    pid = os.fork()
    while pid == 0:  # the busy core, until killed
        pass
    try:
        for _ in range(200):
            run()
        res = {}
        for d in IDLES:
            rows = []
            for _ in range(int(min(60, 0.6 / (d + 0.003)))):
                time.sleep(d)
                rows.append(run())
            res[d] = [sorted(r[i] for r in rows)[len(rows) // 2] for i in range(len(bounds) - 1)]
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    base = res[IDLES[0]]
    if args.what == "select":  # positions 1, 2, 3-10, 11-20, 21-40
        groups = [(0, 1), (1, 2), (2, 10), (10, 20), (20, 40)]
        names = "op 1, op 2, ops 3-10, 11-20, 21-40"
    else:
        groups = [(i, i + 1) for i in range(len(bounds) - 1)]
        names = "countdowns ending after " + ", ".join(str(b) for b in bounds[1:])
    print("%s; after 20 us: %s us" % (names, " ".join("%.2f" % (sum(base[a:b]) * 1e6) for a, b in groups)))
    for d in IDLES[1:]:
        r = res[d]
        print("%6.1f ms: ratio %s | extra us %s" % (
            d * 1e3, " ".join("%.2f" % (sum(r[a:b]) / sum(base[a:b])) for a, b in groups),
            " ".join("%.1f" % ((sum(r[a:b]) - sum(base[a:b])) * 1e6) for a, b in groups)))


if __name__ == "__main__":
    main()
