"""How long a wake-up takes onto a vCPU that is busy, against one that is idle (Python 3, Linux).

A thread pinned to CPU 1 blocks in os.read on a pipe; the main thread, pinned to CPU 0, writes
to it and blocks until the thread, back from its read, has sent its clock. With `busy`, a
forked process spins on CPU 1 meanwhile, so that the wake-up must interrupt it (Linux: the wake
list's interrupt, then the preemption on its return to user mode); with `idle`, CPU 1 has
nothing else to run. GAP seconds between wake-ups (default 0: CPU 1 idles a few microseconds
between them; 0.0002: long enough for the host to stop polling the halted vCPU).
Prints the quartiles of write-to-clock-read, in microseconds. gilsim: costs.wakeup_latency
(idle), costs.resched_latency (busy; docs/validation.md, "The reschedule interrupt").

    python3 busy_wake.py idle|busy [GAP]
"""
import os
import sys
import threading
import time

N = 3000


def main():
    busy = sys.argv[1] == "busy"
    gap = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    spin = None
    if busy:
        spin = os.fork()
        if spin == 0:
            os.sched_setaffinity(0, {1})
            while True:
                pass

    def woken():
        os.sched_setaffinity(0, {1})
        while True:
            b = os.read(r1, 8)
            t1 = time.perf_counter_ns()
            if b == b"q":
                return
            os.write(w2, t1.to_bytes(8, "little"))

    th = threading.Thread(target=woken)
    th.start()
    os.sched_setaffinity(0, {0})
    time.sleep(0.05)
    lat = []
    for _ in range(N):
        if gap:
            time.sleep(gap)
        t0 = time.perf_counter_ns()
        os.write(w1, b"x")
        lat.append(int.from_bytes(os.read(r2, 8), "little") - t0)
    os.write(w1, b"q")
    th.join()
    if spin:
        os.kill(spin, 9)
        os.waitpid(spin, 0)
    lat.sort()
    print("%s gap %gs: p25 %.1f p50 %.1f p75 %.1f us" % (
        sys.argv[1], gap, lat[N // 4] / 1e3, lat[N // 2] / 1e3, lat[3 * N // 4] / 1e3))


if __name__ == "__main__":
    main()
