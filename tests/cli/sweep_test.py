#!/usr/bin/env python3
"""Command-line tests of `gilsim sweep`: the same bytes for any --jobs and for shards concatenated,
a sweep killed with SIGKILL half-way then --resume'd gives the uninterrupted file, shards
concatenated out of order are put back in order by --resume, GNU parallel runs the shards, --list.

Usage: tests/cli/sweep_test.py --gilsim build/tools/gilsim
Prints "ok NAME" or "FAIL NAME: why" per case and ends with "sweep: N passed, N failed".
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
results = []

# 4 thread counts x 3 intervals x 2 replications = 24 runs.
SWEEP = ["scenarios/convoy_threads.json", "--vary", "threads.0.count=0..3",
         "--vary", "interpreter.switch_interval=1ms,2ms,5ms", "--replications", "2", "--quiet"]
# Slower runs (about 0.1-0.3 s each) for the interruption test: 8 runs.
SLOW = ["scenarios/convoy_threads.json", "--vary", "threads.0.count=1..4", "--vary", "interpreter.switch_interval=1ms,5ms",
        "--set", "threads.1.program.0.loop=20000", "--quiet"]


def record(name, ok, why=""):
    results.append((name, ok))
    print(("ok " if ok else "FAIL ") + name + ("" if ok else ": " + why))


def run(gilsim, args):
    p = subprocess.run([gilsim, "sweep"] + args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


def first_diff(a, b):
    la, lb = a.splitlines(), b.splitlines()
    for i, (x, y) in enumerate(zip(la, lb)):
        if x != y:
            return "line %d differs" % (i + 1)
    return "%d lines vs %d lines" % (len(la), len(lb))


def same(name, got, want):
    record(name, got == want and want != "", first_diff(got, want))


def jobs_and_shards(gilsim, tmp):
    rc, one, err = run(gilsim, SWEEP + ["--jobs", "1"])
    record("sweep --jobs 1 runs", rc == 0 and len(one.splitlines()) == 24, "exit %d, %d lines: %s" % (rc, len(one.splitlines()), err.strip()))
    two = run(gilsim, SWEEP + ["--jobs", "2"])[1]
    same("--jobs 2 gives the bytes of --jobs 1", two, one)
    three = run(gilsim, SWEEP + ["--jobs", "3"])[1]
    same("--jobs 3 gives the bytes of --jobs 1", three, one)
    shards = "".join(run(gilsim, SWEEP + ["--shard", "%d/3" % k, "--jobs", "2"])[1] for k in (1, 2, 3))
    same("3 shards concatenated in shard order give the unsharded file", shards, one)
    same("3 shards sorted give the unsharded file sorted", "".join(sorted(shards.splitlines(True))), "".join(sorted(one.splitlines(True))))
    out = os.path.join(tmp, "file.jsonl")
    rc, _, err = run(gilsim, SWEEP + ["--output", out])
    same("--output FILE holds the stdout bytes", open(out).read() if rc == 0 else "", one)
    rc, _, err = run(gilsim, SWEEP + ["--output", out])
    record("an existing output without --resume is refused", rc == 2 and "add --resume" in err, "exit %d: %s" % (rc, err.strip()))
    rc, _, err = run(gilsim, SWEEP + ["--output", out, "--resume"])
    same("--resume of a finished sweep runs nothing and keeps the file", open(out).read() if rc == 0 else "", one)
    # Shards concatenated in reverse order, with a torn last line: --resume sorts them back.
    mixed = os.path.join(tmp, "mixed.jsonl")
    with open(mixed, "w") as f:
        for k in (3, 1):
            f.write(run(gilsim, SWEEP + ["--shard", "%d/3" % k])[1])
        f.write('{"point":"05","replicat')
    rc, _, err = run(gilsim, SWEEP + ["--output", mixed, "--resume"])
    same("--resume fills in a missing shard and rewrites out-of-order lines in run order",
         open(mixed).read() if rc == 0 else err, one)
    lst = run(gilsim, SWEEP + ["--list"])[1]
    lst3 = "".join(run(gilsim, SWEEP + ["--list", "--shard", "%d/3" % k])[1] for k in (1, 2, 3))
    record("--list prints one line per run; shards' lists concatenate to it",
           len(lst.splitlines()) == 24 and lst3 == lst, "%d lines" % len(lst.splitlines()))
    return one


def kill_and_resume(gilsim, tmp):
    rc, want, err = run(gilsim, SLOW + ["--jobs", "2"])
    if rc != 0:
        record("slow sweep runs", False, err.strip())
        return
    total = len(want.splitlines())
    out = os.path.join(tmp, "killed.jsonl")
    p = subprocess.Popen([gilsim, "sweep"] + SLOW + ["--jobs", "2", "--output", out], cwd=ROOT,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and p.poll() is None:
        if os.path.exists(out) and open(out).read().count("\n") >= total // 3:
            break
        time.sleep(0.005)
    p.send_signal(signal.SIGKILL)
    p.wait()
    kept = open(out).read()
    lines = kept.count("\n")
    record("SIGKILL half-way leaves complete lines that are a prefix of the run",
           0 < lines < total and want.startswith(kept), "%d of %d lines kept" % (lines, total))
    with open(out, "a") as f:
        f.write(want.splitlines(True)[lines][:40])  # a torn write, as a crash could leave
    rc, _, err = run(gilsim, SLOW + ["--jobs", "2", "--output", out, "--resume"])
    same("--resume after SIGKILL gives the uninterrupted file", open(out).read() if rc == 0 else err, want)


def gnu_parallel(gilsim, want):
    if not shutil.which("parallel"):
        record("GNU parallel runs the shards", False, "GNU parallel is not installed (tools/setup installs package parallel)")
        return
    cmd = ["parallel", "--will-cite", "-k", "-j", "2", gilsim, "sweep"] + SWEEP + ["--jobs", "1", "--shard", "{}/4", ":::", "1", "2", "3", "4"]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    same("GNU parallel -k over 4 shards gives the unsharded file", p.stdout if p.returncode == 0 else p.stderr, want)


def plot(tmp, want):
    data = os.path.join(tmp, "plot.jsonl")
    png = os.path.join(tmp, "plot.png")
    with open(data, "w") as f:
        f.write(want)
    p = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "plot_sweep.py"), data, "--x", "interpreter.switch_interval",
                        "--y", "threads[io].gil_latency_ns.p50", "--lines", "threads.0.count", "-o", png],
                       capture_output=True, text=True, timeout=300)
    ok = p.returncode == 0 and os.path.exists(png) and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    record("tools/plot_sweep.py draws a PNG from a sweep file", ok, p.stderr.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gilsim", required=True)
    a = ap.parse_args()
    gilsim = os.path.abspath(a.gilsim)
    with tempfile.TemporaryDirectory() as tmp:
        want = jobs_and_shards(gilsim, tmp)
        kill_and_resume(gilsim, tmp)
        gnu_parallel(gilsim, want)
        plot(tmp, want)
    passed = sum(1 for _, ok in results if ok)
    print("sweep: %d passed, %d failed" % (passed, len(results) - passed))
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
