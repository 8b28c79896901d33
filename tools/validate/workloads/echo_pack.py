"""Where the echo's two sides run: io_echo.py's round trip (64 bytes to a forked echo process and
back) with the CPU of each side per op, read through ctypes (sched_getcpu, about 0.5 us a call on
3.11, 2.7 us on 2.7), and each round trip split into its two hops.

A probe, not a validation case: the CPU reads add work to both sides. On the validation VM it
shows the host kernel's vCPU packing (docs/validation.md, "The echo pair shares a vCPU at
first"): for the first 20-40 ms of a phase the two sides often run on one vCPU and a round trip
takes 11-16 us; then they move apart for good (22-40 us).

Prints one JSON line per phase: ops; the share of ops whose two sides ran on one CPU ("same");
the round trip's p50 for same and apart ops; the first stretches of same ("s") and apart ("o")
ops as [kind, ops, ms]; for apart ops the hops' p10/p50/p90 in us (hop1: from the I/O thread's
clock read before its send to the echo process's after its recv returned; hop2: from the echo
process's clock read before its send to the I/O thread's after its recv returned) and the idle
gap before each (the I/O thread's from its send's return to the echo's send; the echo's from its
previous send to the I/O thread's next send); the same hops for ops on one CPU; the send's p50.

  PYENV_VERSION=3.11.7 python echo_pack.py --phases 0.15,0.5,0.5 [--before cold|hot] [--cpu K]
--before cold sleeps 0.3 s before each phase, hot keeps both CPUs busy for 0.2 s (two
processes counting) before it; --cpu K runs K threads counting in the I/O thread's process
during each phase, as io_echo.py's loaded phase does.
"""
from __future__ import print_function

import argparse
import ctypes
import itertools
import json
import os
import socket
import struct
import threading
import time

from _common import Spinners, clock, pct

getcpu = ctypes.CDLL(None).sched_getcpu
REPLY = struct.Struct("=idd")  # the echo's CPU, its clock after recv, its clock before send


def server(b):
    while True:
        d = b.recv(4096)
        t_r = clock()
        if not d:
            break
        c = getcpu()
        t_s = clock()
        b.sendall(REPLY.pack(c, t_r, t_s) + d[REPLY.size:])


def io_loop(sock, seconds, out):
    msg = b"m" * 64
    rows = []
    end = clock() + seconds
    while True:
        c0 = getcpu()
        t0 = clock()
        if t0 >= end:
            break
        sock.send(msg)
        t_sent = clock()
        d = sock.recv(4096)
        t1 = clock()
        cs, t_r, t_s = REPLY.unpack(d[:REPLY.size])
        rows.append((t0, t_sent, t_r, t_s, t1, c0, cs))
    out.append(rows)


def spin(seconds):
    end = clock() + seconds
    while clock() < end:
        pass


def before(kind):
    if kind == "cold":
        time.sleep(0.3)
    elif kind == "hot":
        pid = os.fork()
        if pid == 0:
            spin(0.2)
            os._exit(0)
        spin(0.2)
        os.waitpid(pid, 0)


def us(values, p):
    v = pct(values, p)
    return None if v is None else round(v * 1e6, 1)


def summary(rows):
    same = [r[4] - r[0] for r in rows if r[5] == r[6]]
    apart_i = [i for i, r in enumerate(rows) if r[5] != r[6]]
    stretches = []
    for k, g in itertools.groupby(rows, key=lambda r: "s" if r[5] == r[6] else "o"):
        g = list(g)
        stretches.append([k, len(g), round(sum(r[4] - r[0] for r in g) * 1e3, 1)])
    ap = [rows[i] for i in apart_i]
    sm = [r for r in rows if r[5] == r[6]]
    echo_gap = [rows[i][0] - rows[i - 1][3] for i in apart_i if i > 0]
    return {"ops": len(rows), "same": round(float(len(same)) / len(rows), 3) if rows else None,
            "same_p50_us": us(same, 50), "apart_p50_us": us([r[4] - r[0] for r in ap], 50),
            "stretches": stretches[:8], "stretch_count": len(stretches),
            "apart_hop1_us": [us([r[2] - r[0] for r in ap], p) for p in (10, 50, 90)],
            "apart_hop2_us": [us([r[4] - r[3] for r in ap], p) for p in (10, 50, 90)],
            "apart_io_gap_us": us([r[3] - r[1] for r in ap], 50), "apart_echo_gap_us": us(echo_gap, 50),
            "same_hop1_us": [us([r[2] - r[0] for r in sm], p) for p in (10, 50, 90)],
            "same_hop2_us": [us([r[4] - r[3] for r in sm], p) for p in (10, 50, 90)],
            "send_us": us([r[1] - r[0] for r in rows], 50)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--phases", default="0.15,0.5", help="seconds of each phase, a new thread each")
    ap.add_argument("--before", choices=("none", "cold", "hot"), default="none")
    ap.add_argument("--cpu", type=int, default=0, help="CPU-bound threads counting during each phase")
    a = ap.parse_args()
    x, y = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        x.close()
        try:
            server(y)
        finally:
            os._exit(0)
    y.close()
    for i, seconds in enumerate(float(s) for s in a.phases.split(",")):
        before(a.before)
        out = []
        with Spinners(a.cpu):
            t = threading.Thread(target=io_loop, args=(x, seconds, out))
            t.start()
            t.join()
        d = summary(out[0])
        d["phase"] = i
        print(json.dumps(d, sort_keys=True))
    x.close()
    os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
