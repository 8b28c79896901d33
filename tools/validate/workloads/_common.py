"""Helpers shared by the validation workloads (Python 2.7 and 3.x, standard library only).

Workloads print exactly one JSON line on standard output; tools/validate/run parses it.
"""
from __future__ import print_function

import json
import os
import socket
import sys
import threading
import time

try:
    clock = time.perf_counter
except AttributeError:  # Python 2: gettimeofday, 1 us steps; ctypes clocks would release the GIL
    clock = time.time

PY2 = sys.version_info[0] == 2


def pct(values, p):
    v = sorted(values)
    if not v:
        return None
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def emit(d):
    d["python"] = "%d.%d.%d" % sys.version_info[:3]
    print(json.dumps(d, sort_keys=True))
    sys.stdout.flush()


def set_interval(switch_interval=None, check_interval=None):
    """Apply --switch-interval (seconds, Python 3) or --check-interval (ticks, Python 2)."""
    if switch_interval and hasattr(sys, "setswitchinterval"):
        sys.setswitchinterval(switch_interval)
    if check_interval and PY2:
        sys.setcheckinterval(check_interval)


def add_interval_args(ap):
    ap.add_argument("--switch-interval", type=float, default=None, help="seconds (Python 3)")
    ap.add_argument("--check-interval", type=int, default=None, help="ticks (Python 2)")


def count(n):
    """The classic CPU-bound countdown; gilsim: {"cpu": {"ticks": 2n}}."""
    while n > 0:
        n -= 1


def warm_up():
    """Call count() enough times that CPython 3.11 quickens (specialises) it: 3.11 specialises a
    code object only after 8 calls, and the countdown then runs ~1.5x faster (33 -> 22.5 ns per
    iteration on the calibration machine). Without this, whichever phase ran later looked faster."""
    for _ in range(16):
        count(1000)


def run_threads(target, args_list):
    """Runs target(*args) in one thread per args, all starting together; returns the seconds
    from the start to the last join.

    The threads are started first and wait on an Event, so that they begin their work at once,
    as a scenario's threads do (start 0). Started one by one instead, the starter must take the
    GIL back from the threads already counting to start the next; on Python 2.7 a thread woken
    from the GIL's futex loses nearly every check to a counting thread, so the second thread
    could start anywhere from at once to after the first had finished (2.7.18, check interval
    1000: speedup 0.47-0.88 started one by one, 0.45-0.65 behind the Event, alternating runs)."""
    go = threading.Event()

    def body(*a):
        go.wait()
        target(*a)
    ts = [threading.Thread(target=body, args=a) for a in args_list]
    for t in ts:
        t.start()
    t0 = clock()
    go.set()
    for t in ts:
        t.join()
    return clock() - t0


class Spinners(object):
    """k daemon threads counting down 100000 at a time until stopped.
    gilsim: {"loop": "forever", "do": [{"cpu": {"ticks": 200000}}]}, daemon."""

    def __init__(self, k):
        self.stop = False
        self.threads = [threading.Thread(target=self._spin) for _ in range(k)]
        for t in self.threads:
            t.daemon = True

    def _spin(self):
        warm_up()
        while not self.stop:
            count(100000)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop = True
        for t in self.threads:
            t.join()


def echo_server():
    """A forked echo process at the other end of a socketpair; returns (socket, pid)."""
    a, b = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        a.close()
        try:
            while True:
                d = b.recv(4096)
                if not d:
                    break
                b.sendall(d)
        finally:
            os._exit(0)
    b.close()
    return a, pid


def migrations(path):
    """se.nr_migrations from a Linux /proc .../sched file: how many times the thread has moved
    from one CPU to another; None where the file (CONFIG_SCHED_DEBUG) or the line is missing."""
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith("se.nr_migrations"):
                    return int(line.split(":")[1])
    except (IOError, OSError, ValueError):
        pass
    return None


def last_cpu(path):
    """The CPU a thread last ran on (field 39 of a Linux /proc .../stat file); None elsewhere."""
    try:
        with open(path) as fh:
            return int(fh.read().rsplit(")", 1)[1].split()[36])
    except (IOError, OSError, ValueError, IndexError):
        return None


def latency_stats(lat, elapsed):
    return {"ops": len(lat), "seconds": elapsed, "ops_per_s": len(lat) / elapsed if elapsed else None,
            "p50_ns": pct(lat, 50) * 1e9, "p90_ns": pct(lat, 90) * 1e9,
            "p99_ns": pct(lat, 99) * 1e9, "mean_ns": elapsed / len(lat) * 1e9}
