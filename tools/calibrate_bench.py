"""Micro-benchmarks run INSIDE the interpreter being calibrated (Python 2.7 and 3.x).

Usage: PYTHON calibrate_bench.py NAME [SIZE]   -> prints one JSON line.
tools/calibrate drives this file; every benchmark feeds one gilsim cost:

  tick         countdown `while n > 0: n -= 1`; ns per iteration   -> costs.tick (= iter/2)
  py2ticks     Python 2 only, through ctypes: _Py_Ticker decrements per countdown iteration and
               ticks between two check-interval expiries            -> documentation of `tick`
  gil_check    Python 2 only: countdown with sys.setcheckinterval(1) vs a huge interval, GIL
               created, one thread; extra ns per expiry             -> costs.gil_check
  futex        waker-side CPU cost of FUTEX_WAKE with nobody to wake, and of one that wakes a
               blocked process, minus a bare ctypes call (ctypes + libc syscall(2), Linux);
               medians and per-call quantile tables; and the call with nobody to wake timed
               over loops of calls, minus a loop of abs() with the same seven arguments;
               and os.getppid() over loops minus sys.getrecursionlimit(): a system call
               from the interpreter's C code, no ctypes     -> costs.syscall, costs.wake
  idlewake     a forked process blocked on a futex is woken after its core has idled a gap (30 us
               to 1 ms, the waker spinning meanwhile); the waker's FUTEX_WAKE (minus one with
               nobody to wake, timed just before) and the time until the wakee stamps its
               return, per gap: where the wake-up turns slow (the host descheduled the halted
               vCPU), and both regimes' figures   -> costs.wake, costs.deep_idle
               then the same wake-up after the first gap (30 us) when it follows a 5 ms idle:
               slow when the host's poll window adapts to the vCPU's recent halts (KVM
               resets it after a long halt)        -> costs.deep_idle.adaptive
  shallowwake  the same wake-up 1-30 us after the wakee stamped its clock on its way into
               FUTEX_WAIT (the bare call timed before the gap, so that the gap runs from the
               wakee's call to the waker's): where it needs no interrupt yet -> costs.shallow_idle
  stall        both CPUs busy in a clock loop for SIZE ms (this one pinned to CPU 0; the caller
               runs `spin` beside it, pinned to CPU 1): the gaps over 5 us in this one's clock stream are the host's (and
               the guest kernel's) stalls of the vCPU: their lengths and the intervals between
               them, as quantile tables                              -> costs.stall
  pingpong     round trip of a 1-byte pipe ping-pong between two threads (run pinned to ONE
               core by the caller) and the same write+read pair done by one thread
                                                                    -> costs.context_switch
  wakeup       one-way lock hand-off latency between two threads on two cores: stamp, release
               a threading.Lock the other thread is blocked on, stamp on return; per-hand-off
               quantile table                                        -> costs.wakeup_latency
  sockhop      64-byte echo over a socketpair between this process (CPU 0) and a forked one
               (CPU 1), both pinned apart, no work between a recv's return and the next send:
               half of each round trip (from one recv's return to the next), as a quantile
               table: the wake-up of a process blocked in recv by its socket peer, whose own
               recv has just woken it (unix_write_space) or whose send does
                                                                    -> costs.socket_wakeup_latency
  select0      select() on one empty socket with a zero timeout, called through ctypes, minus a
               bare ctypes call: the system call that select.select() makes with the GIL
               released (Modules/selectmodule.c, Py_BEGIN_ALLOW_THREADS around select());
               also the whole select.select([s], [], [], 0) call    -> the `native` phase of
                                                                       the poll scenarios
               and the mean of a send and a recv of 64 bytes on a socketpair, nobody
               blocked, through ctypes minus a bare call             -> costs.socket_call
  timedwait    a threading.Lock acquire with a 5 ms timeout that expires, repeated: how late
               the wait ends after its deadline (timer slack + wake-up from idle); quantile
               table of the overshoot                               -> costs.timer_slack
  coldstart    the extra time of the first Python work (two 34-iteration countdowns) after the
               thread's core has idled 0.1 to 30 ms in time.sleep, over the same after 20 us,
               while a forked process keeps another core busy (as in a GIL fight): median per
               idle time                                            -> costs.cold_start
               then, in the same wake-up, an os.write of nothing to a pipe (a GIL-releasing
               system call of another kind) and one select.select([sock], [], [], 0): the
               select's extra over the same after 20 us             -> costs.cold_native
               then 2,000 countdowns more: the first 50's time over the same after 20 us
               (a factor) and the extra time of all 2,000 and of those 50; the idle times
               take turns, repetition by repetition                 -> costs.cold_slow
  handoff      two threads take turns through a pair of threading.Locks, each timing three
               34-iteration countdowns at the start of its turn; pinned to two cores, then both
               to one: the first countdown's excess over the third, across cores minus on one
               core (the interpreter's shared state moving with the GIL) -> costs.gil_transfer
  slice        one CPU-bound process, run twice side by side pinned to one core by the caller;
               lengths of uninterrupted runs in its own clock stream -> scheduler.timeslice
"""
from __future__ import print_function

import json
import os
import select
import socket
import sys
import threading
import time


def _mono_clock():
    """time.perf_counter, or on Python 2 CLOCK_MONOTONIC through ctypes (time.time has 1 us steps)."""
    if hasattr(time, "perf_counter"):
        return time.perf_counter
    try:
        import ctypes

        class Timespec(ctypes.Structure):
            _fields_ = [("sec", ctypes.c_long), ("nsec", ctypes.c_long)]
        libc = ctypes.CDLL(None)
        ts = Timespec()
        ref = ctypes.byref(ts)
        gettime = libc.clock_gettime
        if gettime(1, ref) != 0:
            raise OSError("clock_gettime")

        def clock():
            gettime(1, ref)
            return ts.sec + ts.nsec * 1e-9
        return clock
    except Exception:
        return time.time


clock = _mono_clock()


def pct(values, p):
    v = sorted(values)
    if not v:
        return None
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


# Percent points of the per-call distributions written as gilsim "quantiles" tables.
QPOINTS = (0, 1, 5, 10, 25, 50, 75, 90, 95, 97, 98, 99, 99.5, 99.9, 100)


def quantile_table(values, minus=0.0):
    """[[percent, ns], ...] of the samples (seconds), each minus `minus` seconds, floored at 0.
    The p100 point is not the maximum but the end point that gives the last segment (gilsim
    draws linearly between two points) the mean of the samples above the previous percentile,
    within [that percentile, the maximum]: one stall of milliseconds among thousands of
    samples would otherwise make every draw there average half of it (tools/bench/tail_end.h)."""
    pts = [[p, max(0.0, (pct(values, p) - minus) * 1e9)] for p in QPOINTS[:-1]]
    start = pct(values, QPOINTS[-2])
    tail = [x for x in values if x >= start] or [start]
    end = min(max(values), max(start, 2 * sum(tail) / len(tail) - start))
    return pts + [[100, max(0.0, (end - minus) * 1e9)]]


def emit(d):
    d["python"] = "%d.%d.%d" % sys.version_info[:3]
    print(json.dumps(d, sort_keys=True))
    sys.stdout.flush()


def count(n):
    while n > 0:
        n -= 1


def best_time(f, rounds=3):
    """The shortest of `rounds` timed calls of f(), in seconds."""
    best = None
    for _ in range(rounds):
        t0 = clock()
        f()
        dt = clock() - t0
        best = dt if best is None or dt < best else best
    return best


def timed_count(n, rounds=3):
    return best_time(lambda: count(n), rounds)


def bench_tick(size):
    # 3.11 specialises a code object after 8 calls; the first calls run generic bytecode (1.5x
    # slower there). Report both; the profile's tick uses the warm (specialised) figure.
    n = size or 2000000
    cold = timed_count(n, rounds=1)
    for _ in range(16):
        count(1000)
    dt = timed_count(n)
    emit({"ns_per_iteration": dt * 1e9 / n, "cold_ns_per_iteration": cold * 1e9 / n,
          "iterations": n})


def bench_py2ticks(size):
    import ctypes
    ticker = ctypes.c_int.in_dll(ctypes.pythonapi, "_Py_Ticker")
    sys.setcheckinterval(10 ** 6)

    def delta(n):
        a = ticker.value
        count(n)
        return a - ticker.value
    count(10)
    overhead = delta(0)
    per_iter = (delta(30000) - overhead) / 30000.0
    # with interval k, the ticker is reset to k at an expiry: find the period empirically
    k = 50
    sys.setcheckinterval(k)
    count(10)
    a = ticker.value
    count(1000)
    b = ticker.value
    sys.setcheckinterval(100)
    ticks = int(round(per_iter * 1000))
    period = None
    for cand in (k, k + 1):
        if (a - ticks - overhead - b) % cand == 0:
            period = cand
    emit({"ticks_per_iteration": per_iter, "check_period_for_interval_%d" % k: period})


def bench_gil_check(size):
    if not hasattr(sys, "setcheckinterval") or sys.version_info[0] >= 3:
        emit({"skipped": "Python 3 has no check interval"})
        return
    t = threading.Thread(target=lambda: None)  # creates the GIL (PyEval_InitThreads)
    t.start()
    t.join()
    n = size or 1000000
    for _ in range(16):
        count(1000)
    sys.setcheckinterval(10 ** 9)
    base = timed_count(n)
    sys.setcheckinterval(1)
    small = timed_count(n)
    sys.setcheckinterval(100)
    # measured on 2.7.18: 3 ticks per iteration, one expiry every interval+1 ticks
    expiries = 3.0 * n / 2
    emit({"ns_per_expiry": (small - base) * 1e9 / expiries, "base_ns_per_iteration": base * 1e9 / n,
          "small_ns_per_iteration": small * 1e9 / n})


def libc_futex():
    import ctypes
    import platform
    libc = ctypes.CDLL(None, use_errno=True)
    nr = {"x86_64": 202, "aarch64": 98, "i686": 240, "i386": 240}.get(platform.machine())
    if nr is None:
        raise RuntimeError("unknown futex syscall number for " + platform.machine())
    return ctypes, libc, nr


def _stop_futex_child(libc, nr, addr, stop, pid):
    """Ends a forked process looping on FUTEX_WAIT at `addr` until `stop`. It may test `stop` just
    before our wake and block right after it (a lost wake-up): keep waking it until it exits."""
    stop.value = 1
    while True:
        libc.syscall(nr, addr, 1, 1, None, None, 0)  # FUTEX_WAKE
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            break
        time.sleep(0.001)


def _two_cpus():
    return (os.sysconf("SC_NPROCESSORS_ONLN") or 1) >= 2


def bench_futex(size):
    # The waiter is a forked process blocked on a futex in shared memory, so that once woken it
    # never competes for our GIL: the waker's timing holds only its own system call.
    import mmap
    ctypes, libc, nr = libc_futex()
    mm = mmap.mmap(-1, 4096, mmap.MAP_SHARED)
    word = ctypes.c_int.from_buffer(mm)
    stop = ctypes.c_int.from_buffer(mm, 64)
    addr = ctypes.byref(word)
    FUTEX_WAIT, FUTEX_WAKE = 0, 1
    n = size or 300
    pid = os.fork()
    if pid == 0:
        while not stop.value:
            libc.syscall(nr, addr, FUTEX_WAIT, 0, None, None, 0)
        os._exit(0)
    other = ctypes.byref(ctypes.c_int.from_buffer(mm, 128))  # a futex nobody waits on
    wake, nowake, bare = [], [], []
    for i in range(n):
        time.sleep(0.001)  # lets the waiter block in the kernel again
        for _ in range(5):  # warm the path after the sleep
            libc.syscall(nr, other, FUTEX_WAKE, 1, None, None, 0)
            libc.abs(1)
        t0 = clock()
        libc.abs(1)
        t1 = clock()
        libc.syscall(nr, other, FUTEX_WAKE, 1, None, None, 0)
        t2 = clock()
        woke = libc.syscall(nr, addr, FUTEX_WAKE, 1, None, None, 0)
        t3 = clock()
        bare.append(t1 - t0)
        nowake.append(t2 - t1)
        if woke == 1:
            wake.append(t3 - t2)
    _stop_futex_child(libc, nr, addr, stop, pid)
    # The bare system call again, from loops of calls rather than single timed calls: one call
    # is a few hundred ns against a ctypes call of 1-3 us whose jitter (on 2.7 +-1 us) swamps it;
    # over a loop the jitter averages out. The best of 3 loops each, minus the same loop of abs().
    def per_call(f, arg, reps=max(2000, 20 * n)):
        best = None
        for _ in range(3):
            t0 = clock()
            for _ in range(reps):
                f(*arg)
            dt = (clock() - t0) / reps
            best = dt if best is None or dt < best else best
        return best
    loop_wake = per_call(libc.syscall, (nr, other, FUTEX_WAKE, 1, None, None, 0))
    # abs() with the same seven arguments: the same ctypes conversions, no system call (the
    # callee reads the first one only)
    loop_abs = per_call(libc.abs, (nr, other, FUTEX_WAKE, 1, None, None, 0))
    # A system call made from the interpreter's own C code (no ctypes): os.getppid() against a
    # builtin of the same calling convention that makes none.
    loop_getppid = per_call(os.getppid, ()) - per_call(sys.getrecursionlimit, ())
    del word, stop, addr, other
    b = pct(bare, 50)
    nw = pct(nowake, 50)
    emit({"wake_with_waiter_ns": (pct(wake, 50) - b) * 1e9 if wake else None,
          "wake_no_waiter_ns": (nw - b) * 1e9,
          "wake_no_waiter_loop_ns": (loop_wake - loop_abs) * 1e9,
          "getppid_loop_ns": loop_getppid * 1e9,
          "ctypes_call_ns": b * 1e9, "samples": len(wake),
          # the per-call spread of the call with nobody to wake (its interquartile range: the
          # same with the ctypes call subtracted or not, where the table below clips at 0)
          "no_waiter_iqr_ns": (pct(nowake, 75) - pct(nowake, 25)) * 1e9,
          # per call: the bare system call (minus the median ctypes call), and what waking a
          # sleeper adds to it (minus the median call with nobody to wake)
          "q_no_waiter": quantile_table(nowake, b),
          "q_wake_extra": quantile_table(wake, nw) if wake else None})


# Idle gaps of bench_idlewake, in us: the first is the short regime, the last the long one; the
# ones between find where the wake-up turns slow.
IDLE_GAPS_US = (30, 60, 90, 120, 150, 180, 210, 240, 300, 1000)


class _Wakee(object):
    """A forked process looping on FUTEX_WAIT at `addr` (word 0), pinned to CPU 1 when there are
    two, stamping its clock in shared memory just before each call (`entered`) and when it
    returns (`back`); the caller is pinned to CPU 0: a wake-up onto another, idle core (unpinned,
    the scheduler may put the wakee on the waker's core, which it then preempts). `other` is a
    futex nobody waits on. stop() ends it."""

    def __init__(self):
        import mmap
        self.ctypes, self.libc, self.nr = ctypes, libc, nr = libc_futex()
        mm = mmap.mmap(-1, 4096, mmap.MAP_SHARED)
        self.word = ctypes.c_int.from_buffer(mm)
        self.stop_flag = ctypes.c_int.from_buffer(mm, 64)
        self.back = ctypes.c_double.from_buffer(mm, 192)
        self.entered = ctypes.c_double.from_buffer(mm, 256)
        self.addr = ctypes.byref(self.word)
        self.other = ctypes.byref(ctypes.c_int.from_buffer(mm, 128))
        self.pinned = _two_cpus()
        self.pid = os.fork()
        if self.pid == 0:
            if self.pinned:
                _pin_thread(1)
            while not self.stop_flag.value:
                self.entered.value = clock()
                libc.syscall(nr, self.addr, 0, 0, None, None, 0)  # FUTEX_WAIT
                self.back.value = clock()
            os._exit(0)
        if self.pinned:
            _pin_thread(0)
        time.sleep(0.01)

    def stop(self):
        _stop_futex_child(self.libc, self.nr, self.addr, self.stop_flag, self.pid)

    def timed_wake(self, start, gap):
        """Times a FUTEX_WAKE of nobody (after one untimed: the bare call), spins until `gap`
        seconds after `start`, then times the FUTEX_WAKE of the wakee; returns (bare, t2, t3,
        woken): the wake ran t2-t3, called `gap` after `start` (the bare calls come first, so
        that they do not lengthen the gap)."""
        libc, nr = self.libc, self.nr
        libc.syscall(nr, self.other, 1, 1, None, None, 0)
        t0 = clock()
        libc.syscall(nr, self.other, 1, 1, None, None, 0)
        bare = clock() - t0
        while clock() - start < gap:
            pass
        t2 = clock()
        woke = libc.syscall(nr, self.addr, 1, 1, None, None, 0)
        return bare, t2, clock(), woke


def bench_idlewake(size):
    w = _Wakee()
    libc, nr, addr, back, pinned = w.libc, w.nr, w.addr, w.back, w.pinned
    FUTEX_WAKE = 1
    n = size or 60
    rows = []
    for gap_us in IDLE_GAPS_US + (None,):
        cost, bare, lat = [], [], []
        for i in range(n + 2):
            if gap_us is None:  # a 5 ms idle, then the first gap, which is the one timed
                t = clock()
                while clock() - t < 5e-3:
                    pass
                libc.syscall(nr, addr, FUTEX_WAKE, 1, None, None, 0)
                t4 = clock()
                while back.value < t4 and clock() - t4 < 0.1:
                    pass
            # the waker stays on its core; the wakee idles
            b1, t2, t3, woke = w.timed_wake(clock(), (gap_us or IDLE_GAPS_US[0]) * 1e-6)
            t4 = clock()
            while back.value < t2 and clock() - t4 < 0.1:  # until the wakee is back
                pass
            if woke == 1 and i >= 2:
                bare.append(b1)
                cost.append(t3 - t2)
                lat.append(back.value - t2)
        b = pct(bare, 50) or 0.0
        rows.append({"gap_us": gap_us, "samples": len(cost),
                     "wake_extra_ns": ((pct(cost, 50) or 0.0) - b) * 1e9,
                     "latency_p50_ns": (pct(lat, 50) or 0.0) * 1e9,
                     "q_latency": quantile_table(lat) if lat else None,
                     "q_wake_extra": quantile_table(cost, b) if cost else None})
    w.stop()
    after_long = rows.pop()
    emit({"gaps": rows, "after_long": after_long, "pinned": pinned})


STALL_GAP = 5e-6  # a longer pause in our own clock stream: the vCPU was taken away


# Gaps of bench_shallowwake, in us from the wakee's stamp just before its FUTEX_WAIT call.
SHALLOW_GAPS_US = (1, 2, 3, 4, 6, 8, 12, 20, 30)


def bench_shallowwake(size):
    """The wake-up soon after the wakee blocked: the waker times FUTEX_WAKE `gap` after the wakee
    stamped its clock on its way into FUTEX_WAIT (a ctypes call and the system call's entry after
    the stamp). Before its core halts the wake needs no interrupt (do_idle's polling entry; a
    thread not yet off its CPU). Per gap: how many calls found the wakee queued, the waker's
    call over a bare one, and the time until the wakee stamps its return."""
    w = _Wakee()
    libc, nr, addr, back, entered, pinned = w.libc, w.nr, w.addr, w.back, w.entered, w.pinned
    FUTEX_WAKE = 1
    n = size or 200
    rows = []
    for gap_us in SHALLOW_GAPS_US:
        cost, bare, lat, missed = [], [], [], 0
        for i in range(n + 2):
            t0 = clock()
            while entered.value < back.value and clock() - t0 < 0.1:  # the wakee's next wait
                pass
            b1, t2, t3, woke = w.timed_wake(entered.value, gap_us * 1e-6)
            queued = woke == 1
            if not queued:  # not yet queued: wake it once it is (one wake only), time the next one
                missed += i >= 2
                while woke != 1 and back.value < t2 and clock() - t3 < 0.1:
                    woke = libc.syscall(nr, addr, FUTEX_WAKE, 1, None, None, 0)
            t4 = clock()
            while back.value < t2 and clock() - t4 < 0.1:
                pass
            if queued and i >= 2:
                bare.append(b1)
                cost.append(t3 - t2)
                lat.append(back.value - t2)
        b = pct(bare, 50) or 0.0
        # a gap where every wake found the wakee not yet queued has no figures (None)
        rows.append({"gap_us": gap_us, "samples": len(cost), "missed": missed,
                     "wake_extra_ns": (pct(cost, 50) - b) * 1e9 if cost else None,
                     "latency_p50_ns": pct(lat, 50) * 1e9 if lat else None,
                     "q_latency": quantile_table(lat) if lat else None,
                     "extras": [c - b for c in cost]})
    w.stop()
    # Per wake-up: cheap when the waker paid under half of the last gap's median extra (an
    # interrupt's worth); the share of each gap's wake-ups that were (where the window ends
    # varies from halt to halt: costs.shallow_idle.before as a distribution).
    last = rows[-1]["wake_extra_ns"]
    for r in rows:
        ex = r.pop("extras")
        r["cheap_share"] = (sum(e * 1e9 < last / 2 for e in ex) / float(len(ex))) if ex and last else None
    emit({"gaps": rows, "pinned": pinned})


def _clock_loop(seconds):
    """Spins on the clock for `seconds`; returns (iterations, [(start, length) of each gap])."""
    gaps, n = [], 0
    t0 = last = clock()
    while last - t0 < seconds:
        t = clock()
        n += 1
        if t - last > STALL_GAP:
            gaps.append((last, t - last))
        last = t
    return n, gaps


def bench_spin(size):
    """The partner of bench_stall: CPU 1 busy in the same loop for SIZE ms. Prints its own pauses
    (start, length; the same monotonic clock as bench_stall's), so that the caller can tell
    whether the host pauses one vCPU at a time or the whole machine."""
    pinned = _two_cpus()
    if pinned:
        _pin_thread(1)
    _, gaps = _clock_loop(size / 1000.0)
    emit({"pinned": pinned, "gaps": [[s, g] for s, g in gaps]})


def bench_stall(size):
    """Run by the caller beside `spin` (another process, CPU 1 busy, as in a GIL fight)."""
    seconds = (size or 1000) / 1000.0
    pinned = _two_cpus()
    if pinned:
        _pin_thread(0)
    n, gaps = _clock_loop(seconds)
    lost = sum(g for _, g in gaps)
    step = (seconds - lost) / max(1, n)  # one loop iteration, in every gap too
    lengths = [g - step for _, g in gaps]
    starts = [s for s, _ in gaps]
    # from the end of one stall to the start of the next
    intervals = [starts[i + 1] - (starts[i] + gaps[i][1]) for i in range(len(gaps) - 1)]
    emit({"seconds": seconds, "stalls": len(gaps), "lost_fraction": lost / seconds, "pinned": pinned,
          "iteration_ns": step * 1e9,
          "q_length": quantile_table(lengths) if lengths else None,
          "q_interval": quantile_table(intervals) if len(intervals) >= 2 else None,
          "gap_list": [[s, g] for s, g in gaps]})


def bench_pingpong(size):
    n = size or 20000
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()

    def echo():
        for _ in range(n):
            os.read(r1, 1)
            os.write(w2, b"x")

    th = threading.Thread(target=echo)
    th.start()
    t0 = clock()
    for _ in range(n):
        os.write(w1, b"x")
        os.read(r2, 1)
    rtt = (clock() - t0) / n
    th.join()
    # the same Python + syscall work without any blocking, one thread
    t0 = clock()
    for _ in range(n):
        os.write(w1, b"x")
        os.read(r1, 1)
    pair = (clock() - t0) / n
    emit({"rtt_ns": rtt * 1e9, "write_read_pair_ns": pair * 1e9, "round_trips": n})


def bench_wakeup(size):
    n = size or 2000
    x = threading.Lock()
    y = threading.Lock()
    x.acquire()
    y.acquire()
    stamp = [0.0]
    lat = []

    def b_side():
        for _ in range(n):
            x.acquire()           # blocks until A releases
            lat.append(clock() - stamp[0])
            stamp[0] = clock()
            y.release()

    th = threading.Thread(target=b_side)
    th.start()
    time.sleep(0.01)
    for _ in range(n):
        stamp[0] = clock()
        x.release()
        y.acquire()              # blocks until B releases
        lat.append(clock() - stamp[0])
    th.join()
    lat = lat[20:]
    t0 = clock()
    for _ in range(1000):
        clock()
    clk = (clock() - t0) / 1000
    emit({"clock_ns": clk * 1e9, "p10_ns": pct(lat, 10) * 1e9, "p50_ns": pct(lat, 50) * 1e9,
          "p90_ns": pct(lat, 90) * 1e9, "p99_ns": pct(lat, 99) * 1e9, "samples": len(lat),
          "q": quantile_table(lat, clk)})


def bench_sockhop(size):
    """Round trips of a 64-byte echo between two processes pinned to two CPUs (unpinned on one
    CPU), the way io_echo.py's alone phase runs them, but with no Python work between a recv's
    return and the next send. The model draws a socket peer's wake-up onto an idle core from
    half of each round trip: in its echo the woken side issues its wake-up (the freed buffer,
    or the send) at once, so that a round trip is two such latencies (docs/model.md)."""
    n = size or 3000
    a, b = socket.socketpair()
    pinned = _two_cpus()
    pid = os.fork()
    if pid == 0:
        a.close()
        try:
            if pinned:
                _pin_thread(1)
            for _ in range(n):
                b.send(b.recv(64))
        finally:
            os._exit(0)
    b.close()
    if pinned:
        _pin_thread(0)
    time.sleep(0.01)
    msg = b"m" * 64
    back = [0.0] * n
    for i in range(n):
        a.send(msg)
        a.recv(64)
        back[i] = clock()
    os.waitpid(pid, 0)
    warm = n // 10
    half = [(back[i] - back[i - 1]) / 2 for i in range(warm + 1, n)]
    emit({"round_trips": len(half), "pinned": pinned, "half_p50_ns": pct(half, 50) * 1e9,
          "half_p10_ns": pct(half, 10) * 1e9, "half_p90_ns": pct(half, 90) * 1e9,
          "q": quantile_table(half)})


def bench_select0(size):
    import ctypes
    import socket
    libc = ctypes.CDLL(None)
    a, b = socket.socketpair()
    fd = a.fileno()

    class Timeval(ctypes.Structure):
        _fields_ = [("sec", ctypes.c_long), ("usec", ctypes.c_long)]

    fdset = (ctypes.c_ulong * 16)()  # fd_set: 1024 bits
    bits = 8 * ctypes.sizeof(ctypes.c_ulong)
    fdset[fd // bits] |= 1 << (fd % bits)
    tv = Timeval(0, 0)
    fs, tvp = ctypes.byref(fdset), ctypes.byref(tv)
    n = size or 100000
    rl = [a]
    import select

    def best(f):  # seconds per call, best of 3 loops of n calls
        def loop():
            for _ in range(n):
                f()
        return best_time(loop) / n

    syscall = best(lambda: libc.select(fd + 1, fs, None, None, tvp))
    bare = best(lambda: libc.abs(1))
    whole = best(lambda: select.select(rl, [], [], 0))
    # A socket call that copies 64 bytes: send on one end, recv on the other, nobody blocked
    # (no wake-up), through ctypes; the mean of the two minus a bare ctypes call.
    msg = b"m" * 64
    buf = ctypes.create_string_buffer(4096)
    fa, fb = a.fileno(), b.fileno()

    def pair():
        libc.send(fa, msg, 64, 0)
        libc.recv(fb, buf, 4096, 0)

    sock = best(pair) / 2
    a.close()
    b.close()
    emit({"syscall_ns": (syscall - bare) * 1e9, "ctypes_call_ns": bare * 1e9,
          "select_select_ns": whole * 1e9, "socket_call_ns": (sock - bare) * 1e9})


def bench_timedwait(size):
    n = size or 200
    lock = threading.Lock()
    lock.acquire()
    over = []
    for _ in range(n):
        t0 = clock()
        lock.acquire(True, 0.005)  # Python 3 only (2.7's locks have no timeout)
        over.append(clock() - t0 - 0.005)
    emit({"p50_ns": pct(over, 50) * 1e9, "q": quantile_table(over)})


COLD_IDLES_US = (20, 100, 300, 1000, 3000, 5000, 10000, 30000)
# costs.cold_slow: after the cold start the work runs slower for a while (~1 ms of work after 3 ms
# of idle on the validation VM); timed over SLOW_CHUNKS countdowns, the first SLOW_HEAD alone
SLOW_CHUNKS, SLOW_HEAD = 2000, 50


def bench_coldstart(size):
    # Timestamps go into a preallocated list: rebinding a fresh one would free the previous
    # repetition's floats inside the timed stretch.
    scale = (size or 100) / 100.0
    pid = os.fork()
    if pid == 0:  # the busy core
        try:
            while True:
                pass
        finally:
            os._exit(0)
    # The native call after the countdowns: a pipe write of nothing first (its own cold path: the
    # system call's entry and exit, the GIL's release and re-take), then the timed select(), whose
    # code in the select module and the kernel is still cold (costs.cold_native).
    rfd, wfd = os.pipe()
    sock, peer = socket.socketpair()
    sock.setblocking(False)
    rl = [sock]
    try:
        ts = [0.0] * 7
        count(34)
        select.select(rl, [], [], 0)
        # The idle times take turns, repetition by repetition, so that a slow stretch of the host
        # (it runs Python at one of two speeds, docs/validation.md) falls on all of them alike.
        reps = dict((u, max(5, int(scale * min(100, 300000 // (u + 3000))))) for u in COLD_IDLES_US)
        first, sel, head, whole = [dict((u, []) for u in COLD_IDLES_US) for _ in range(4)]
        for rep in range(max(reps.values())):
            for idle_us in COLD_IDLES_US:
                if rep >= reps[idle_us]:
                    continue
                for _ in range(SLOW_CHUNKS // 2):  # past the previous turn's slow stretch
                    count(34)
                time.sleep(idle_us * 1e-6)
                ts[0] = clock()
                count(34)
                ts[1] = clock()
                count(34)
                ts[2] = clock()
                os.write(wfd, b"")
                ts[3] = clock()
                select.select(rl, [], [], 0)
                ts[4] = clock()
                # what follows the first work: SLOW_HEAD countdowns, then the rest of SLOW_CHUNKS
                for _ in range(SLOW_HEAD):
                    count(34)
                ts[5] = clock()
                for _ in range(SLOW_CHUNKS - SLOW_HEAD):
                    count(34)
                ts[6] = clock()
                first[idle_us].append(ts[2] - ts[0])
                sel[idle_us].append(ts[4] - ts[3])
                head[idle_us].append(ts[5] - ts[4])
                whole[idle_us].append(ts[6] - ts[4])
        extra = dict((u, pct(v, 50)) for u, v in first.items())
        native = dict((u, pct(v, 50)) for u, v in sel.items())
        slow_head = dict((u, pct(v, 50)) for u, v in head.items())
        slow_all = dict((u, pct(v, 50)) for u, v in whole.items())
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        for f in (rfd, wfd):
            os.close(f)
        sock.close()
        peer.close()
    base, nbase = extra[COLD_IDLES_US[0]], native[COLD_IDLES_US[0]]
    hbase, abase = slow_head[COLD_IDLES_US[0]], slow_all[COLD_IDLES_US[0]]
    emit({"base_ns": base * 1e9, "native_base_ns": nbase * 1e9, "slow_base_ns": abase * 1e9,
          "points": [[u * 1000, max(0.0, (extra[u] - base) * 1e9)] for u in COLD_IDLES_US[1:]],
          "native_points": [[u * 1000, max(0.0, (native[u] - nbase) * 1e9)] for u in COLD_IDLES_US[1:]],
          # [idle, extra time of the SLOW_CHUNKS countdowns after the select, their first
          # SLOW_HEAD's time over the same after 20 us (a ratio), and their extra time]
          "slow_points": [[u * 1000, (slow_all[u] - abase) * 1e9, slow_head[u] / hbase, (slow_head[u] - hbase) * 1e9]
                          for u in COLD_IDLES_US[1:]]})


def _pin_thread(cpu):
    """Pin the calling thread (Linux): os.sched_setaffinity(0) on 3.x, ctypes on 2.7."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
        return
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    mask = ctypes.c_ulong(1 << cpu)
    tid = libc.syscall(186 if os.uname()[4] == "x86_64" else 178)  # gettid
    if libc.sched_setaffinity(tid, ctypes.sizeof(mask), ctypes.byref(mask)) != 0:
        raise OSError("sched_setaffinity")


def _turns(cores, turns):
    """Median excess (s) of a turn's first countdown over its third, two threads on `cores`."""
    locks = [threading.Lock(), threading.Lock()]
    for lk in locks:
        lk.acquire()
    out = [None, None]

    def worker(i):
        _pin_thread(cores[i])
        me, other = locks[i], locks[1 - i]
        ts = [0.0] * (4 * turns)
        for r in range(turns):
            me.acquire()
            ts[4 * r] = clock()
            count(34)
            ts[4 * r + 1] = clock()
            count(34)
            ts[4 * r + 2] = clock()
            count(34)
            ts[4 * r + 3] = clock()
            other.release()
        skip = min(100, turns // 5)
        out[i] = [(ts[4 * r + 1] - ts[4 * r]) - (ts[4 * r + 3] - ts[4 * r + 2]) for r in range(skip, turns)]

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    time.sleep(0.05)
    locks[0].release()
    for t in threads:
        t.join()
    return pct(out[0] + out[1], 50)


def bench_handoff(size):
    turns = size or 3000
    import multiprocessing
    if multiprocessing.cpu_count() < 2:
        emit({"cross_ns": None, "same_ns": None, "transfer_ns": None})
        return
    for _ in range(16):  # 3.11+: specialised before the timed turns (as the validation workloads)
        count(34)
    cross, same = [], []
    for _ in range(2):  # alternated, so that a slow moment of the VM falls on both
        cross.append(_turns((0, 1), turns))
        same.append(_turns((0, 0), turns))
    c, s = sorted(cross)[0], sorted(same)[0]
    emit({"cross_ns": c * 1e9, "same_ns": s * 1e9, "transfer_ns": max(0.0, c - s) * 1e9})


def bench_slice(size):
    duration = (size or 1000) / 1000.0
    gap = 30e-6  # a pause longer than this in our own clock stream = someone else ran
    runs, gaps = [], []
    start = last = run_start = clock()
    while last - start < duration:
        t = clock()
        if t - last > gap:
            runs.append(last - run_start)
            gaps.append(t - last)
            run_start = t
        last = t
    runs = runs[1:]
    emit({"runs": len(runs), "run_p50_ns": (pct(runs, 50) or 0) * 1e9,
          "run_p10_ns": (pct(runs, 10) or 0) * 1e9, "run_p90_ns": (pct(runs, 90) or 0) * 1e9,
          "gap_p50_ns": (pct(gaps, 50) or 0) * 1e9, "busy_fraction": 1 - sum(gaps) / duration})


if __name__ == "__main__":
    name = sys.argv[1]
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    globals()["bench_" + name](size)
