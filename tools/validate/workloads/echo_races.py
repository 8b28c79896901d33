"""The echo op's two GIL races, counted: which of them the I/O thread wins next to CPU threads.

The loaded phase of io_echo.py (one I/O thread doing 64-byte round trips with a forked echo
process, --cpu counting threads), with one more clock read between send and recv. Each op drops
the GIL twice (around send, around recv); after each drop the I/O thread races the CPU threads
for it, and a lost race costs about one switch interval (Python 3) before the forced switch
brings the GIL back. Each op is classified as (I, S): I = its duration in switch intervals,
S = its send part's (loop start to send's return), both rounded. (2, 1): both races lost;
(1, 0): the send race won, the recv race lost; (1, 1): the reverse; (0, 0): both won.
Prints one JSON line: ops, p50_ns, the count per class ("I,S") and the fraction of ops of at
most one interval. Python 3 only (the classes are in switch intervals).
docs/validation-measurements.md, "The echo op's two races"; gilsim's scenario:
tools/validate/scenarios/io_echo_cpu1.json.
"""
from __future__ import print_function

import argparse
import os
import sys
import threading

from _common import Spinners, clock, echo_server, emit, pct


def io_loop(sock, seconds, out):
    msg = b"m" * 64
    rec = []
    now = clock()
    end = now + seconds
    while now < end:
        t0 = now
        sock.send(msg)
        t1 = clock()
        sock.recv(4096)
        now = clock()
        rec.append((t0, t1, now))
    out.append(rec)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cpu", type=int, default=1, help="CPU-bound threads")
    ap.add_argument("--seconds", type=float, default=0.5)
    ap.add_argument("--switch-interval", type=float, default=0.001, help="seconds")
    a = ap.parse_args()
    if not hasattr(sys, "setswitchinterval"):
        sys.exit("echo_races.py: needs Python 3 (switch intervals)")
    sys.setswitchinterval(a.switch_interval)
    sock, pid = echo_server()
    out = []
    with Spinners(a.cpu):
        t = threading.Thread(target=io_loop, args=(sock, a.seconds, out))
        t.start()
        t.join()
    sock.close()
    os.waitpid(pid, 0)
    rec = out[0]
    classes = {}
    short = 0
    for t0, t1, t2 in rec:
        whole = round((t2 - t0) / a.switch_interval)
        key = "%d,%d" % (whole, round((t1 - t0) / a.switch_interval))
        classes[key] = classes.get(key, 0) + 1
        short += whole <= 1
    emit({"workload": "echo_races", "cpu_threads": a.cpu, "switch_interval": a.switch_interval,
          "ops": len(rec), "p50_ns": pct([t2 - t0 for t0, _, t2 in rec], 50) * 1e9,
          "classes": classes, "at_most_one_interval": float(short) / len(rec) if rec else None})


if __name__ == "__main__":
    main()
