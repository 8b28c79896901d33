"""One I/O thread doing round trips while K CPU-bound threads count (the convoy effect).

--mode echo: send 64 bytes over a socketpair to a forked echo process and recv the answer
             (two GIL-releasing calls per op: send, then the blocking recv).
--mode poll: select([sock], [], [], 0) on a socket with nothing to read: a non-blocking call
             that returns at once but still releases and re-takes the GIL.
First an "alone" phase (no CPU threads) of --alone-seconds, then the "loaded" phase of --seconds
with K daemon spinner threads. Measures, per phase: ops, ops_per_s, per-op latency p50/p90/p99
(ns, from before the first call to after the last call of an op) and mean; and, from /proc
(null where the kernel does not show them), how many times the I/O thread and the echo process
moved from one CPU to another during it ("migrations") and the CPU each was on when it began
("start_cpus"). On the validation VM the host kernel's vCPU packing now and then puts the two on
one vCPU for the first 20-40 ms of a phase (round trips of 11-16 us instead of 22-40 us;
docs/validation.md, "The echo pair shares a vCPU at first"): joining and leaving take a
migration each, so a phase that began apart and had none ran apart throughout.
gilsim: scenarios/io_{echo,poll}_cpuK.json; the runner sets the op count to the loaded phase's
and the I/O time from the alone phase, then compares ops/s and p50 latency.
"""
from __future__ import print_function

import argparse
import os
import select
import socket
import threading

from _common import Spinners, add_interval_args, clock, echo_server, emit, last_cpu, \
    latency_stats, migrations, set_interval


def moves(peer):
    """The I/O thread's and the echo process's migrations so far (read off the timed loop)."""
    return (migrations("/proc/thread-self/sched"),
            migrations("/proc/%d/sched" % peer) if peer else None)


def cpus(peer):
    """The CPU the I/O thread is on and the one the echo process last ran on."""
    return [last_cpu("/proc/thread-self/stat"), last_cpu("/proc/%d/stat" % peer) if peer else None]


def io_loop(mode, sock, seconds, out, peer):
    before = moves(peer)
    start_cpus = cpus(peer)
    lat = []
    msg = b"m" * 64
    t_start = clock()
    end = t_start + seconds
    now = t_start
    if mode == "echo":
        while now < end:
            t0 = now
            sock.send(msg)
            sock.recv(4096)
            now = clock()
            lat.append(now - t0)
    else:
        rl = [sock]
        while now < end:
            t0 = now
            select.select(rl, [], [], 0)
            now = clock()
            lat.append(now - t0)
    stats = latency_stats(lat, now - t_start)
    after = moves(peer)
    stats["migrations"] = {name: b - a if a is not None and b is not None else None
                           for name, a, b in zip(("io", "echo"), before, after)}
    stats["start_cpus"] = start_cpus
    out.append(stats)


def phase(mode, sock, seconds, k, peer):
    out = []
    with Spinners(k):
        t = threading.Thread(target=io_loop, args=(mode, sock, seconds, out, peer))
        t.start()
        t.join()
    return out[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", choices=("echo", "poll"), default="echo")
    ap.add_argument("--cpu", type=int, default=1, help="CPU-bound threads in the loaded phase")
    ap.add_argument("--seconds", type=float, default=0.5)
    ap.add_argument("--alone-seconds", type=float, default=0.15)
    add_interval_args(ap)
    a = ap.parse_args()
    set_interval(a.switch_interval, a.check_interval)
    if a.mode == "echo":
        sock, pid = echo_server()
    else:
        sock, other = socket.socketpair()
        sock.setblocking(False)
        pid = None
    alone = phase(a.mode, sock, a.alone_seconds, 0, pid)
    loaded = phase(a.mode, sock, a.seconds, a.cpu, pid)
    sock.close()
    if pid:
        os.waitpid(pid, 0)
    emit({"workload": "io_echo", "mode": a.mode, "cpu_threads": a.cpu,
          "switch_interval": a.switch_interval, "check_interval": a.check_interval,
          "alone": alone, "loaded": loaded,
          "throughput_ratio": loaded["ops_per_s"] / alone["ops_per_s"]})


if __name__ == "__main__":
    main()
