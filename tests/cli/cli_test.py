#!/usr/bin/env python3
"""Command-line tests of gilsim: golden reports of the bundled scenarios, the articles' claims,
error lines and exit codes for bad input (tests/cli/cases.json and the hostile scenario files of
tests/bad/, with their expected lines in tests/bad/expected.json), atomic output files, and determinism (two runs, and two
builds when --other names a second binary).

Usage: tests/cli/cli_test.py --gilsim build/tools/gilsim [--other OTHER_GILSIM] [--update]
Prints "ok NAME" or "FAIL NAME: why" per case and ends with "cli: N passed, N failed".
--update rewrites tests/golden/*.json from the current binary (review the diff before committing).
"""
import argparse
import functools
import json
import shutil
import xml.etree.ElementTree as ET
from collections import defaultdict
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIOS = os.path.join(ROOT, "scenarios")
GOLDEN = os.path.join(ROOT, "tests", "golden")
HERE = os.path.dirname(os.path.abspath(__file__))

results = []


def record(name, ok, why=""):
    results.append((name, ok))
    print(("ok " if ok else "FAIL ") + name + ("" if ok else ": " + why))


def run(gilsim, args, cwd=ROOT):
    p = subprocess.run([gilsim] + args, cwd=cwd, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def scenario_files():
    return sorted(f for f in os.listdir(SCENARIOS) if f.endswith(".json"))


def get(report, path):
    """A value from a report by a path such as threads[io].gil_latency_ns.p50."""
    cur = report
    for part in path.replace("]", "").replace("[", ".").split("."):
        if isinstance(cur, list):
            cur = next(t for t in cur if t.get("name") == part) if not part.isdigit() else cur[int(part)]
        else:
            cur = cur[part]
    return cur


def golden_and_claims(gilsim, update):
    claims = json.load(open(os.path.join(HERE, "claims.json")))
    reports = {}
    for f in scenario_files():
        rc, out, err = run(gilsim, ["run", "scenarios/" + f, "--format", "json"])
        if rc != 0:
            record("run " + f, False, "exit %d: %s" % (rc, err.strip()))
            continue
        reports[f] = json.loads(out)
        gpath = os.path.join(GOLDEN, f)
        if update:  # atomically: a temporary file renamed when complete
            with open(gpath + ".tmp", "w") as g:
                g.write(out)
            os.replace(gpath + ".tmp", gpath)
            record("golden " + f + " (updated)", True)
        elif not os.path.exists(gpath):
            record("golden " + f, False, "no golden file (run with --update)")
        else:
            same = open(gpath).read() == out
            why = ""
            if not same:
                old = json.loads(open(gpath).read())
                diffs = [k for k in old if old.get(k) != reports[f].get(k)]
                why = "report differs from tests/golden/%s in %s" % (f, ", ".join(diffs[:6]))
            record("golden " + f, same, why)
    for c in claims:
        name = "claim %s: %s" % (c["scenario"], c["claim"])
        rep = reports.get(c["scenario"])
        if rep is None:
            record(name, False, "scenario did not run")
            continue
        if c.get("gil"):
            rc, out, err = run(gilsim, ["run", "scenarios/" + c["scenario"], "--format", "json", "--gil", c["gil"]])
            if rc != 0:
                record(name, False, err.strip())
                continue
            rep = json.loads(out)
        v = get(rep, c["key"])
        ok = (v is not None and ("min" not in c or v >= c["min"]) and ("max" not in c or v <= c["max"]))
        record(name, ok, "%s = %r, expected [%s, %s]" % (c["key"], v, c.get("min"), c.get("max")))


def cases(gilsim):
    table = json.load(open(os.path.join(HERE, "cases.json")))
    for c in table:
        with tempfile.TemporaryDirectory() as tmp:
            for fname, content in c.get("files", {}).items():
                data = content if isinstance(content, str) else json.dumps(content)
                with open(os.path.join(tmp, fname), "wb") as fh:
                    fh.write(data.encode("utf-8", "surrogateescape") if isinstance(data, str) else data)
            args = [a.replace("{tmp}", tmp).replace("{root}", ROOT) for a in c["args"]]
            rc, out, err = run(gilsim, args)
            why = []
            if rc != c["exit"]:
                why.append("exit %d, expected %d" % (rc, c["exit"]))
            if "stderr" in c:
                want = c["stderr"].replace("{tmp}", tmp)
                if err.strip() != want:
                    why.append("stderr %r, expected %r" % (err.strip(), want))
            for s in c.get("stdout_contains", []):
                if s not in out:
                    why.append("stdout lacks %r" % s)
            for fname in c.get("unchanged", []):
                content = c["files"][fname]
                data = content if isinstance(content, str) else json.dumps(content)
                with open(os.path.join(tmp, fname), "rb") as fh:
                    if fh.read() != data.encode("utf-8", "surrogateescape"):
                        why.append("%s was changed by a failed run" % fname)
            for fname in c.get("absent", []):
                if os.path.exists(os.path.join(tmp, fname)):
                    why.append("%s exists after a failed run" % fname)
            leftovers = [f for f in os.listdir(tmp) if ".tmp." in f]
            if leftovers:
                why.append("temporary files left: %s" % leftovers)
            record("case " + c["name"], not why, "; ".join(why))


def bad_corpus(gilsim):
    """Each malformed or hostile scenario in tests/bad/: its exact error line and exit code."""
    table = json.load(open(os.path.join(ROOT, "tests", "bad", "expected.json")))
    listed = {c["file"] for c in table}
    on_disk = {f for f in os.listdir(os.path.join(ROOT, "tests", "bad")) if f != "expected.json"}
    for f in sorted(on_disk - listed):
        record("bad " + f, False, "no expected line in tests/bad/expected.json")
    for c in table:
        rel = "tests/bad/" + c["file"]
        p = subprocess.run([gilsim, "run", rel] + c.get("args", []), cwd=ROOT, capture_output=True, timeout=60)
        err = p.stderr.decode("utf-8", "replace").strip()
        want = c["stderr"].replace("{file}", rel).replace("{dir}", "tests/bad")
        why = []
        if p.returncode != c["exit"]:
            why.append("exit %d, expected %d" % (p.returncode, c["exit"]))
        if err != want:
            why.append("stderr %r, expected %r" % (err, want))
        record("bad " + c["file"], not why, "; ".join(why))


def ns(us):
    """A trace timestamp (microseconds, three decimals) as exact nanoseconds, from its text."""
    whole, dot, frac = str(us).partition(".")
    if not dot or len(frac) != 3:
        raise ValueError("timestamp %s is not written with exactly three decimals" % us)
    return int(whole) * 1000 + int(frac)


def pictures(gilsim):
    """--trace and --timeline on the convoy and the py2 battle: the trace parses, each thread's
    slices tile its lifetime, the GIL holds add up to gil.held_ns; the SVG is well-formed XML."""
    for scen in ("convoy.json", "two_cpu_py2_2core.json"):
        with tempfile.TemporaryDirectory() as tmp:
            tr, svg, rep = (os.path.join(tmp, n) for n in ("t.json", "t.svg", "r.json"))
            rc, out, err = run(gilsim, ["run", "scenarios/" + scen, "--format", "json", "--output", rep,
                                        "--trace", tr, "--timeline", svg])
            if rc != 0:
                record("pictures " + scen, False, "exit %d: %s" % (rc, err.strip()))
                continue
            report = json.load(open(rep))
            try:
                doc = json.load(open(tr), parse_float=lambda t: t)
            except ValueError as e:
                record("trace parses as JSON " + scen, False, str(e))
                continue
            record("trace parses as JSON " + scen, True)
            tracks = defaultdict(list)
            for e in doc["traceEvents"]:
                if e["ph"] == "X":
                    tracks[(e["pid"], e["tid"])].append((ns(e["ts"]), ns(e["ts"]) + ns(e["dur"])))
            why = []
            for i, t in enumerate(report["threads"]):
                sl = sorted(tracks[(1, i)])
                end = t["finish_ns"] if t["finish_ns"] else report["makespan_ns"]
                if not sl or sl[-1][1] != end or any(a[1] != b[0] for a, b in zip(sl, sl[1:])):
                    why.append("thread %s does not tile its lifetime up to %d" % (t["name"], end))
            record("trace thread slices tile their lifetimes " + scen, not why, "; ".join(why))
            held = sum(b - a for a, b in tracks[(3, 0)])
            record("trace GIL holds add up to gil.held_ns " + scen, held == report["gil"]["held_ns"],
                   "%d != %d" % (held, report["gil"]["held_ns"]))
            try:
                root = ET.parse(svg).getroot()
                record("timeline SVG is well-formed XML " + scen, root.tag == "{http://www.w3.org/2000/svg}svg", root.tag)
            except ET.ParseError as e:
                record("timeline SVG is well-formed XML " + scen, False, str(e))
    with tempfile.TemporaryDirectory() as tmp:
        tr = os.path.join(tmp, "w.json")
        rc, out, err = run(gilsim, ["run", "scenarios/convoy.json", "--trace", tr, "--trace-window", "10ms:20ms"])
        events = json.load(open(tr), parse_float=lambda t: t)["traceEvents"] if rc == 0 else []
        outside = [e for e in events if e["ph"] != "M" and not
                   (10000000 <= ns(e["ts"]) and ns(e["ts"]) + ns(e.get("dur", "0.000")) <= 20000000)]
        record("--trace-window limits the events to the window", rc == 0 and events and not outside,
               "exit %d, %d events outside" % (rc, len(outside)))
    with tempfile.TemporaryDirectory() as tmp:
        png = os.path.join(tmp, "t.png")
        rc, out, err = run(gilsim, ["run", "scenarios/convoy.json", "--timeline", png])
        if shutil.which("rsvg-convert"):
            ok = rc == 0 and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
            record("--timeline FILE.png writes a PNG", ok, "exit %d: %s" % (rc, err.strip()))
        else:
            record("--timeline FILE.png without rsvg-convert is a clear error", rc == 2 and "rsvg-convert" in err, err.strip())


def determinism(gilsim, other):
    for f in scenario_files():
        a = run(gilsim, ["run", "scenarios/" + f, "--format", "json"])[1]
        b = run(gilsim, ["run", "scenarios/" + f, "--format", "json"])[1]
        record("deterministic twice " + f, a == b and a != "", "two runs differ")
        if other:
            c = run(other, ["run", "scenarios/" + f, "--format", "json"])[1]
            record("deterministic across builds " + f, a == c and a != "", "%s and %s differ" % (gilsim, other))


def fight_replays(gilsim):
    """tools/validate/fight replays recorded fights deterministically and refuses bad input."""
    tool = os.path.join(ROOT, "tools", "validate", "fight")
    for rec, line in (("docs/data/fight-2026-11-22.jsonl", "900 "), ("docs/data/pyfight-2.7.18-ci100.json", "median speedup")):
        outs = []
        for _ in range(2):
            p = subprocess.run([sys.executable, tool, "--from", os.path.join(ROOT, rec), "--gilsim", gilsim],
                               capture_output=True, text=True, timeout=600)
            outs.append((p.returncode, p.stdout))
        ok = outs[0][0] == 0 and outs[0] == outs[1] and any(x.startswith(line) for x in outs[0][1].splitlines())
        record("fight replay deterministic " + rec, ok, "exit %d or outputs differ" % outs[0][0])
    # a recording with runs without the shim: predictions are compared with those runs' speedups
    rec = os.path.join(ROOT, "docs/data/pyfight-2.7.18-j-ci100.json")
    with open(rec) as fh:
        saved = json.load(fh)
    plain = statistics.median(r["run"]["plain"]["speedup"] for r in saved)
    p = subprocess.run([sys.executable, tool, "--from", rec, "--gilsim", gilsim], capture_output=True, text=True,
                       timeout=600)
    last = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
    want = "median speedup: measured %.3f (without the shim)" % plain
    record("fight replay compares with the runs without the shim", p.returncode == 0 and last.startswith(want),
           "%r does not start with %r" % (last, want))
    with tempfile.TemporaryDirectory() as tmp:
        bad = os.path.join(tmp, "bad.jsonl")
        with open(bad, "w") as fh:
            fh.write("{bad\n")
        for src, want in ((bad, "not a saved fight"), (os.path.join(tmp, "missing.jsonl"), "No such file")):
            p = subprocess.run([sys.executable, tool, "--from", src, "--gilsim", gilsim], capture_output=True, text=True)
            err = p.stderr.strip()
            record("fight --from bad input: one line, exit 1 (%s)" % want,
                   p.returncode == 1 and want in err and len(err.splitlines()) == 1 and p.stdout == "", err)


def calibrate_shallow_idle():
    """tools/calibrate's costs.shallow_idle from measurements.shallow_wake: the first run of gaps
    cheap in half the repeats or more; `before` halfway to the next gap, `wake` the run's median
    extra, the latency table moved by the run's median latency less the last gap's."""
    cal = calibrate_module()
    # Gaps 1..30 us; none timed at 1 us (every wake found the wakee not yet queued); cheap (share
    # >= 0.5) at 2, 3, 4 and again at 12 (a second run, ignored); the run ends before 6: before =
    # (4 + 6) / 2 us = 5,000 ns; wake = median(500, 600, 700) = 600 ns; latency shift =
    # median(14, 15, 16 us) - 30 us = -15 us on a table 20-40 us.
    pts = [[1, None, None, 0.0], [2, "500ns", "14000ns", 0.6], [3, "700ns", "15000ns", 1.0],
           [4, "600ns", "16000ns", 0.5], [6, "8000ns", "25000ns", 0.4], [12, "500ns", "10000ns", 0.9],
           [30, "9000ns", "30000ns", 0.0]]
    m = {"shallow_wake": {"points": pts}}
    costs = {"wakeup_latency": {"quantiles": [[0, "20000ns"], [50, "30000ns"], [100, "40000ns"]]}}
    cal.shallow_idle(costs, m)
    want = {"before": "5000ns", "wake": "600ns",
            "wakeup_latency": {"quantiles": [[0, "5000ns"], [50, "15000ns"], [100, "25000ns"]]}}
    record("calibrate: costs.shallow_idle from the first cheap run of gaps", costs["shallow_idle"] == want,
           str(costs["shallow_idle"]))
    for p in pts:
        p[3] = 0.4
    cal.shallow_idle(costs, m)
    record("calibrate: no cheap gap, no costs.shallow_idle", costs["shallow_idle"] is False, str(costs["shallow_idle"]))
    # measurements.shallow_wake from two repeats: a gap with no figures in either, one cheap in
    # one repeat of two (share 0.5), the reference gap last
    # (per wake-up, gap 2's wakes were cheap in 0.9 and 0.2 of each repeat: median 0.55)
    rows = [[{"gap_us": 1, "wake_extra_ns": None, "latency_p50_ns": None, "cheap_share": None},
             {"gap_us": 2, "wake_extra_ns": 400.0, "latency_p50_ns": 12000.0, "cheap_share": 0.9},
             {"gap_us": 30, "wake_extra_ns": 9000.0, "latency_p50_ns": 30000.0, "cheap_share": 0.0}],
            [{"gap_us": 1, "wake_extra_ns": None, "latency_p50_ns": None, "cheap_share": None},
             {"gap_us": 2, "wake_extra_ns": 8000.0, "latency_p50_ns": 28000.0, "cheap_share": 0.2},
             {"gap_us": 30, "wake_extra_ns": 9000.0, "latency_p50_ns": 30000.0, "cheap_share": 0.0}]]
    m = {}
    cal.shallow_wake(rows, m)
    got = m["shallow_wake"]["points"]
    record("calibrate: measurements.shallow_wake skips gaps without figures",
           got == [[1, None, None, 0.0, None], [2, "4200ns", "20000ns", 0.5, 0.55], [30, "9000ns", "30000ns", 0.0, 0.0]],
           str(got))


def tail_tables():
    """tools/calibrate_bench.py's quantile tables end at the point that gives their last segment
    the mean of the samples above the previous percentile (not at the maximum)."""
    sys.path.insert(0, os.path.join(ROOT, "tools"))
    import calibrate_bench
    # 9,990 samples of 1 us, 9 of 2 us, one of 3 ms: above p99.9 (1.001 us, interpolated) lie
    # the 9 of 2 us and the 3 ms; their mean 301.8 us; the end 2 x 301.8 - 1.001 = 602.599 us.
    v = [1e-6] * 9990 + [2e-6] * 9 + [3e-3]
    t = calibrate_bench.quantile_table(v)
    start, end = t[-2][1], t[-1][1]
    ok = t[-1][0] == 100 and abs(start - 1001.0) < 1e-6 and abs(end - 602599.0) < 1e-3
    record("calibrate_bench: a table's last segment averages its samples", ok, "got %r, %r" % (start, end))
    # one sample only: the table is flat at it
    t = calibrate_bench.quantile_table([5e-6])
    record("calibrate_bench: a table of one sample", all(abs(x - 5000.0) < 1e-6 for _, x in t), str(t))


def calibrate_window_end():
    """tools/calibrate's costs.shallow_idle.before from the per-wake-up shares of cheap wake-ups
    at each gap: a quantile table of where the window ends (its distribution function at gap g
    is 1 - the share; flat stretches move the point to their end), and the fixed half-way
    `before` for points without those shares."""
    cal = calibrate_module()
    pts = [[1, "4us", "9us", 0.43, 0.4], [2, "1us", "12us", 0.57, 0.9], [3, "1us", "12us", 0.57, 1.0],
           [4, "1us", "12us", 0.71, 0.95], [6, "1us", "12us", 0.71, 0.9], [8, "6us", "15us", 0.43, 0.5],
           [12, "7us", "25us", 0.0, 0.05], [20, "8us", "26us", 0.0, 0.0], [30, "9us", "24us", 0.0, 0.0]]
    # the window's gaps start at 2 us (cheap in 0.57 of the repeats), its start is the gap where
    # most wake-ups were cheap, 3 us (all): the end lies past 3 us; then the shares 0.95, 0.9,
    # 0.5, 0.05, 0: 5 % by 4 us, 10 % by 6, 50 % by 8, 95 % by 12, all by 20
    want = [[0, "3000ns"], [5.0, "4000ns"], [10.0, "6000ns"], [50.0, "8000ns"], [95.0, "12000ns"], [100, "20000ns"]]
    got = cal.window_end_table(pts, 1)
    record("calibrate: the shallow window's end as a quantile table of the cheap shares", got == want, "%r" % got)
    costs = {"wakeup_latency": {"quantiles": [[0, "10us"], [50, "20us"], [100, "40us"]]}}
    cal.shallow_idle(costs, {"shallow_wake": {"points": [p[:4] for p in pts]}})
    # without per-wake shares: the run of gaps cheap in half the repeats or more is 2-6 us (8 us
    # had 0.43), so `before` is halfway from 6 to 8 us
    record("calibrate: without per-wake shares the window ends halfway past its last gap",
           costs["shallow_idle"]["before"] == "7000ns", "%r" % costs["shallow_idle"])


@functools.lru_cache(maxsize=None)
def tool_module(name, *path):
    """A script of tools/ without a .py name (tools/calibrate, tools/validate/run), imported."""
    import importlib.machinery
    import importlib.util
    loader = importlib.machinery.SourceFileLoader(name, os.path.join(ROOT, "tools", *path))
    mod = importlib.util.module_from_spec(importlib.util.spec_from_loader(name, loader))
    loader.exec_module(mod)
    return mod


def calibrate_module():
    return tool_module("calibrate_tool", "calibrate")


def median_intervals():
    """tools/validate/run's 95 % interval of a measured median (bootstrap, fixed seed): it holds
    the median, lies within the runs, is one point for identical runs, is the same on every call,
    and marks a miss that lies inside it."""
    run_mod = validate_run_module()
    v = [0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70]
    lo, hi = run_mod.median_interval(v)
    ok = 0.10 <= lo <= 0.40 <= hi <= 0.70 and (lo, hi) == run_mod.median_interval(list(reversed(v)))
    record("validate/run: the median's 95 % interval holds the median, within the runs, repeatably", ok, "%r" % ((lo, hi),))
    record("validate/run: identical runs give a one-point interval", run_mod.median_interval([3.0] * 5) == (3.0, 3.0),
           "%r" % (run_mod.median_interval([3.0] * 5),))
    m = run_mod.spread(v)
    case = {"name": "cpu2", "kind": "ratio", "measured": {"speedup": m}, "predicted": {"speedup": lo}}
    text = run_mod.markdown({"cases": [case]})
    want_row = "| **no** (inside the interval) |" if not run_mod.within_target("speedup", m["median"], lo) else "| yes |"
    ok = want_row in text and "predictions lie inside the 95 % interval" in text
    record("validate/run: a miss inside the median's interval is marked and counted", ok, text)


def clock_steps():
    """2.7's ops are timed in whole microseconds (time.time()): tools/validate/run marks a p50
    miss one step of that clock off, and counts it apart, for 2.7 recordings only; the model's
    I/O runs for 2.7 read their ops with the same clock (interpreter.clock_resolution)."""
    run_mod = validate_run_module()
    one = lambda v: {"median": v, "min": v, "max": v, "iqr": 0.0, "n": 5, "values": [v] * 5}

    def case(name, p50, pred):
        return {"name": name, "kind": "io", "measured": {"ops/s": one(1000.0), "ratio": one(1.0), "p50_ns": one(p50)},
                "predicted": {"ops/s": 1000.0, "ratio": 1.0, "p50_ns": pred}}
    cases = [case("a", 1907.3, 2944.0), case("b", 953.7, 2944.0), case("c", 1907.3, 1984.0)]
    rows = {}
    for v in ("2.7.18", "3.11.7"):
        text = run_mod.markdown({"python": v, "cases": cases})
        rows[v] = [l for l in text.splitlines() if "| p50_ns |" in l] + text.splitlines()[-1:]
    r2, r3 = rows["2.7.18"], rows["3.11.7"]
    ok = (r2[0].endswith("| **no** (one clock step off) |") and r2[1].endswith("| **no** |") and r2[2].endswith("| yes |")
          and r2[3].endswith("Median latency (p50_ns): 1 of 3 within target; 1 more one step of the 1 us clock off.")
          and r3[0].endswith("| **no** |") and r3[3].endswith("Median latency (p50_ns): 1 of 3 within target."))
    record("validate/run: a 2.7 p50 miss one step of its 1 us clock off is marked and counted apart", ok, "\n".join(r2 + r3))
    args = argparse.Namespace(profile=os.path.join(ROOT, "docs", "data", "profile-2.7.18-j.json"),
                              raw_check_interval=False, version="2.7.18")
    meas = {"alone_mean_ns": {"median": 3000.0}, "ops": {"median": 1000}, "sequential_s": {"median": 1.0}}
    by_name = {c["name"]: c for c in run_mod.define_cases(True, False)}
    io = run_mod.gilsim_sets(by_name["io_poll_cpu1"], [{}], meas, True, args, 8.0)
    args.version = "3.11.7"
    io3 = run_mod.gilsim_sets(by_name["io_poll_cpu1"], [{}], meas, False, args, 8.0)
    ok = io.get("interpreter.clock_resolution") == "1000ns" and "interpreter.clock_resolution" not in io3
    record("validate/run: the model reads 2.7's I/O ops with a 1 us clock, 3.x's exactly", ok, "%r %r" % (io, io3))


def validate_run_module():
    return tool_module("validate_run", "validate", "run")


def alone_moves():
    """The echo's moves between CPUs in its alone phase: the workload reads them from /proc
    (se.nr_migrations, and field 39 of stat for the CPU), and tools/validate/run shows their sum,
    I/O thread plus echo process, as a row it does not judge; a recording without them (before
    2026-12-07) shows no such row, and poll cases never do."""
    sys.path.insert(0, os.path.join(ROOT, "tools", "validate", "workloads"))
    try:
        import _common
    finally:
        sys.path.pop(0)
    with tempfile.TemporaryDirectory() as d:
        sched, stat = os.path.join(d, "sched"), os.path.join(d, "stat")
        with open(sched, "w") as fh:
            fh.write("python (7, #threads: 2)\n---\nse.exec_start  :  12.5\nse.nr_migrations  :  41\n")
        with open(stat, "w") as fh:
            fh.write("7 (a (b) c) S " + " ".join(str(i) for i in range(4, 39)) + " 1 0 0\n")
        got = (_common.migrations(sched), _common.migrations(stat), _common.migrations(os.path.join(d, "none")),
               _common.last_cpu(stat), _common.last_cpu(sched))
    record("validate/workloads: migrations and last CPU read from /proc files, None where absent",
           got == (41, None, None, 1, None), "%r" % (got,))
    run_mod = validate_run_module()
    defs = {c["name"]: c for c in run_mod.define_cases(False, False)}

    def run(moves):
        phase = {"ops_per_s": 1000.0, "p50_ns": 1e6, "p99_ns": 2e6, "mean_ns": 1e6, "ops": 100}
        alone = dict(phase, migrations=moves) if moves is not None else dict(phase)
        return {"loaded": phase, "alone": alone, "throughput_ratio": 1.0}
    new = run_mod.measured_quantities(defs["io_echo_cpu0"], [run({"io": 1, "echo": 2}), run({"io": 0, "echo": 0}),
                                                             run({"io": 3, "echo": 4})])
    old = run_mod.measured_quantities(defs["io_echo_cpu0"], [run(None), run(None)])
    poll = run_mod.measured_quantities(defs["io_poll_cpu0"], [run({"io": 1, "echo": None})])
    ok = new["alone_moves"]["median"] == 3 and "alone_moves" not in old and "alone_moves" not in poll
    record("validate/run: the echo's alone-phase moves are the I/O thread's plus the echo process's", ok,
           "%r / %r / %r" % (new.get("alone_moves"), sorted(old), sorted(poll)))
    case = {"name": "io_echo_cpu0", "kind": "io", "measured": new,
            "predicted": {"ops/s": 1000.0, "ratio": 1.0, "p50_ns": 1e6}}
    text = run_mod.markdown({"cases": [case]})
    ok = "| io_echo_cpu0 | alone_moves | 3 [0..7] | - | - | - | not counted |" in text and \
        "2 of 2 within target" in text
    record("validate/run: the alone-phase moves are shown and not counted", ok, text)
    # the placement probe: one JSON line per phase, its stretches adding up to its ops
    probe = os.path.join(ROOT, "tools", "validate", "workloads", "echo_pack.py")
    p = subprocess.run([sys.executable, probe, "--phases", "0.02,0.02"], capture_output=True, text=True, timeout=60)
    try:
        phases = [json.loads(line) for line in p.stdout.splitlines()]
        ok = p.returncode == 0 and [d["phase"] for d in phases] == [0, 1] and all(
            d["ops"] > 0 and 0 <= d["same"] <= 1 and
            (d["stretch_count"] > 8 or sum(k[1] for k in d["stretches"]) == d["ops"]) for d in phases)
    except (ValueError, KeyError, TypeError):
        ok = False
    record("validate/workloads/echo_pack.py: a line per phase, its stretches covering its ops", ok, p.stdout + p.stderr)
    # the slow-after-idle probe: a header, then a line per idle time with a ratio and an extra time
    # per segment (9 countdown segments, 5 select groups)
    probe = os.path.join(ROOT, "tools", "validate", "workloads", "slow_after_idle.py")
    ok, out = True, ""
    for what, n in (("count", 9), ("select", 5)):
        p = subprocess.run([sys.executable, probe, "--what", what], capture_output=True, text=True, timeout=120)
        lines = p.stdout.splitlines()
        rows = [ln.split(" | ") for ln in lines[1:]]
        ok = ok and p.returncode == 0 and len(rows) == 6 and all(
            len(r) == 2 and len(r[0].split("ratio ")[1].split()) == n and len(r[1].split("us ")[1].split()) == n
            for r in rows)
        out += p.stdout + p.stderr
    record("validate/workloads/slow_after_idle.py: a line per idle time, a ratio and an extra time per segment", ok, out)
    # the wake-pattern probe (C): builds, refuses a bad mode in one line, and its round trip is
    # one line with three increasing percentiles
    src = os.path.join(ROOT, "tools", "validate", "probes", "wake_pattern.c")
    exe = os.path.join(tempfile.mkdtemp(), "wake_pattern")
    b = subprocess.run(["cc", "-O2", "-Wall", "-Werror", "-o", exe, src], capture_output=True, text=True)
    ok, out = b.returncode == 0, b.stdout + b.stderr
    if ok:
        bad = subprocess.run([exe, "nap"], capture_output=True, text=True, timeout=30)
        run = subprocess.run([exe, "sym"], capture_output=True, text=True, timeout=120)
        nums = [float(x) for x in run.stdout.split("p10 ")[-1].replace("p50 ", "").replace("p90 ", "").split()[:3]] \
            if run.returncode == 0 and "round trip p10 " in run.stdout else []
        ok = bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and len(nums) == 3 and \
            0 < nums[0] <= nums[1] <= nums[2]
        out += bad.stderr + run.stdout + run.stderr
    record("validate/probes/wake_pattern.c: builds, a usage line for a bad mode, a round trip's percentiles", ok, out)


def poll_op_split(gilsim):
    """tools/validate/run splits a measured poll op into select()'s system call, the loop's 7 ticks
    of bytecode (its check points) and C code that keeps the GIL: at a 2.7 check interval of 10
    the model's I/O thread then checks about once per op, as the real one does (8 ticks of the
    scenarios = 12 of 2.7.18)."""
    run_mod = validate_run_module()
    case = [c for c in run_mod.define_cases(True, False) if c["name"] == "io_poll_cpu1_ci10"][0]
    args = argparse.Namespace(profile=os.path.join(ROOT, "docs", "data", "profile-2.7.18-j.json"),
                              raw_check_interval=False, version="2.7.18")
    meas = {"alone_mean_ns": {"median": 3000.0}, "ops": {"median": 1000}}
    sets = run_mod.gilsim_sets(case, [{}], meas, True, args, 8.0)
    sys_ns = run_mod.select_syscall_ns(args.profile)
    want = {"threads.0.program.0.loop": 1000, "threads.0.program.0.do.0.native": "%dns" % sys_ns,
            "threads.0.program.0.do.1.cpu.ticks": 7,
            "threads.0.program.0.do.2.native_gil": "%dns" % (3000 - sys_ns - 56), "interpreter.check_interval": 7,
            "machine.costs.tick": "8ns", "interpreter.clock_resolution": "1000ns"}
    record("validate/run: a poll op is a system call, 7 ticks and C code with the GIL", sets == want,
           "%r != %r" % (sets, want))
    # The scenario with those sets: the ticker expires during each op's 7 ticks and its one-tick
    # native_gil, and the check comes at the next op's bytecode: one check per op after the first
    # (999 for 1000 ops), each an uncontended release and re-acquire of gil_check (50 ns default)
    # that the same run without checks does not make.
    span = []
    for k in (7, 1000000):
        cmd = [gilsim, "run", os.path.join(ROOT, "tools", "validate", "scenarios", "io_poll_cpu0.json"), "--format",
               "json", "--gil", "py2", "--set", "threads.0.program.0.loop=1000", "--set", "interpreter.check_interval=%d" % k]
        p = subprocess.run(cmd, capture_output=True, text=True)
        span.append(json.loads(p.stdout)["makespan_ns"] if p.returncode == 0 else None)
    ok = None not in span and span[0] - span[1] == 999 * 50
    record("io_poll_cpu0 at check interval 7: one 50 ns check per op (999 in 1000 ops)", ok, "makespans %r" % span)


def sequential_tick(gilsim):
    """tools/validate/run gives a cpu case's scenario the tick its own sequential phase took (the
    median over the repeats), not the profile's: the host's CPU speed changes between calibration
    and run. Five repeats of 2 x 4,000,000 countdowns (16,000,000 ticks) taking 0.16-0.26 s give
    the median 0.24 s: 15 ns a tick; the model's serial run is then 16,000,000 x 15 ns."""
    run_mod = validate_run_module()
    case = [c for c in run_mod.define_cases(True, False) if c["name"] == "cpu2"][0]
    args = argparse.Namespace(profile=os.path.join(ROOT, "docs", "data", "profile-2.7.18-q.json"),
                              raw_check_interval=False, version="2.7.18")
    runs = [{"threads": 2, "n": 4000000, "sequential_s": s} for s in (0.26, 0.16, 0.24, 0.25, 0.2)]
    sets = run_mod.gilsim_sets(case, runs, {}, True, args, 11.0)
    record("validate/run: a cpu case runs on its sequential phase's tick",
           sets.get("machine.costs.tick") == "15ns" and sets.get("threads.0.program.0.cpu.ticks") == 8000000,
           "%r" % sets)
    cmd = [gilsim, "run", os.path.join(ROOT, "tools", "validate", "scenarios", "cpu2.json"), "--format", "json",
           "--gil", "py2", "--set", "machine.profile=" + args.profile, "--horizon", "1s"]
    for k, v in sets.items():
        cmd += ["--set", "%s=%s" % (k, v)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    serial = json.loads(p.stdout)["serial_ns"] if p.returncode == 0 else None
    # serial_ns: the 16,000,000 ticks plus the threads' start and each check's uncontended
    # release and re-acquire (gil_check 21 ns, a check every 67 ticks)
    record("validate/run: the cpu case's serial run takes its ticks at 15 ns", serial is not None and
           16000000 * 15 <= serial < 16000000 * 15 * 1.05, "serial_ns %r (%s)" % (serial, (p.stderr or "").strip()))
    # the other cases run on the recording's tick: the median of every cpu run's sequential tick
    # (cpu2's five above, 10.0-16.25 ns, and cpu4's three of 2 x 4 x 1,000,000 ticks,
    # 0.096-0.128 s, 12.0-16.0 ns: the eight sorted 10, 12, 12.5, 13, 15, 15.625, 16, 16.25, so
    # 14 ns), or the profile's without a cpu case
    cpu4 = [{"threads": 4, "n": 1000000, "sequential_s": x} for x in (0.096, 0.104, 0.128)]
    got = run_mod.recording_tick_ns({"cpu2": runs, "cpu4": cpu4, "sleep2": [{"sequential_s": 9.0}]}, 11.0)
    record("validate/run: the recording's tick is the median over its cpu runs", got == 14, "%r" % got)
    record("validate/run: a recording without cpu cases keeps the profile's tick",
           run_mod.recording_tick_ns({"sleep2": [{"sequential_s": 0.2}]}, 11.0) == 11.0)
    case = [c for c in run_mod.define_cases(True, False) if c["name"] == "sleep2"][0]
    sets = run_mod.gilsim_sets(case, [{"sequential_s": 0.2}], {}, True, args, 14)
    record("validate/run: sleep2 runs on the recording's tick", sets.get("machine.costs.tick") == "14ns", "%r" % sets)


def run_futex_trace(lines):
    """tools/validate/futex_trace --format json on these perf script lines, put in time order."""
    lines = sorted(lines, key=lambda l: float(l.split()[3].rstrip(":")))
    tool = os.path.join(ROOT, "tools", "validate", "futex_trace")
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "trace.txt")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return subprocess.run([sys.executable, tool, path, "--format", "json"], capture_output=True, text=True)


def futex_trace_summary():
    """tools/validate/futex_trace on a small perf script: the I/O thread is the process's last
    caller of sendto; a woken wait followed on the same word by a timeout 5.1 ms after the woken
    call began keeps its first deadline; the ways to each send/recv are counted; an asker asleep
    again when another thread signals the condition is counted, with the race timed from its unlock
    of gil->mutex (the holder's mutex wait returning EAGAIN, the asker's futex_wait before the
    signal)."""
    def at(us):
        return "%.6f" % (1000.0 + us / 1e6)

    def wait(tid, start, end, word, result):
        return ["python 100/%d [000] %s: syscalls:sys_enter_futex: uaddr: 0x7f00000006%s, op: 0x00000089, "
                "val: 0x00000000, utime: 0x7ffd00000360, uaddr2: 0x00000000, val3: 0xffffffff" % (tid, at(start), word),
                "python 100/%d [000] %s: syscalls:sys_exit_futex: %s" % (tid, at(end), result)]

    def futex(tid, when, word, op, result):
        return ["python 100/%d [001] %s: syscalls:sys_enter_futex: uaddr: 0x7f00000006%s, op: 0x%08x, val: 0x00000001, "
                "utime: 0x00000000, uaddr2: 0x00000000, val3: 0x00000000" % (tid, at(when), word, op),
                "python 100/%d [001] %s: syscalls:sys_exit_futex: %s" % (tid, at(when + 0.5), result)]

    def call(tid, when, name):
        return ["python 100/%d [001] %s: syscalls:sys_enter_%s: fd: 0x00000003" % (tid, at(when), name)]

    tool = os.path.join(ROOT, "tools", "validate", "futex_trace")
    timeout, woken = "0xffffffffffffff92", "0x0"
    lines = call(102, -500, "sendto") + call(102, -400, "sendto") + call(103, 0, "sendto")
    lines += wait(103, 1000, 3000, "f0", woken) + wait(103, 3010, 6100, "f0", timeout) + call(103, 6200, "sendto")
    lines += wait(103, 6300, 11400, "f4", timeout) + wait(101, 6290, 11390, "f4", timeout)
    lines += call(103, 11500, "recvfrom")
    # 101's timeout at 11390 asks for a drop; it is asleep again (11393) when 104 signals (11395)
    lines += wait(101, 11393, 12000, "f4", woken)
    lines += futex(104, 11395, "f4", 0x81, "0x1")
    # the race: 101 unlocks gil->mutex (word f8) at 11391, 104's mutex wait (11392) returns EAGAIN,
    # 101's futex_wait (11393) comes before 104's signal (11395): slept through
    lines += futex(101, 11391, "f8", 0x81, "0x0") + futex(104, 11392, "f8", 0x80, "0xfffffffffffffff5")
    p = run_futex_trace(lines)
    try:
        s = json.loads(p.stdout)[0]
    except ValueError:
        record("validate/futex_trace: summary of a perf script", False, p.stdout + p.stderr)
        return
    want = {"io_tid": 103, "ops": 2, "io_timed_waits": {"timed_out": 2, "woken": 1, "eagain": 0},
            "woken_then_timed_out_same_word": 1, "of_which_first_deadline_kept": 1, "timed_out_before_4_9ms": 1,
            "io_timeouts_within_20us_of_a_cpu_threads": 1,
            "last_wait_before_each_call": {"no wait": 1, "timed out": 2},
            "cpu_timeouts_then_a_signal": 1, "of_which_asker_asleep_at_the_signal": 1,
            "timeout_to_signal_us_quartiles": [5.0] * 5,
            "race_after_the_askers_unlock": {
                "asks": 1, "holder_mutex_wait": {"EAGAIN": 1},
                "by_outcome": {"taken before futex_wait": {"count": 0}, "taken by EAGAIN": {"count": 0},
                               "slept through": {"count": 1, "holder_signal_us_quartiles": [4.0] * 5,
                                                 "asker_futex_wait_us_quartiles": [2.0] * 5,
                                                 "holder_mutex_wait_us_quartiles": [1.0] * 5}}}}
    got = {k: s.get(k) for k in want}
    record("validate/futex_trace: summary of a perf script", got == want, "%r" % (got,))
    for bad in (os.path.join(ROOT, "README.md"), os.path.join(ROOT, "no-such-trace.txt")):
        p = subprocess.run([sys.executable, tool, bad], capture_output=True, text=True)
        lines = p.stderr.strip().splitlines()
        record("validate/futex_trace: %s is refused in one line" % os.path.basename(bad),
               p.returncode != 0 and len(lines) == 1 and not p.stdout and os.path.basename(bad) in lines[0],
               p.stderr + p.stdout)


def sched_stats_summary(gilsim):
    """tools/validate/sched_stats on a small perf script and on a gilsim trace, each with figures
    fixed by construction. perf: workers 101 and 102 of process 100 on two CPUs; 102 blocks at 10
    us, is woken by 101 from CPU 0 onto the idle CPU 1 at 20 us and runs at 30 us; blocks at 40;
    is woken onto CPU 0, where 101 runs, at 50 and preempts 101 at 53; blocks at 60; 101, woken at
    65 from CPU 1 while still on CPU 0 (on its way to sleep), blocks at 70. gilsim: the reschedule-interrupt case of the OS tests (rx woken from core 0 onto core
    1, where hog computes, at 2050 us; the interrupt switches hog out 50 us later)."""
    def at(us):
        return "%.6f" % (1000.0 + us / 1e6)

    def sw(cpu, when, cur, prev, state, nxt):
        comm = "python" if cur else "swapper"
        return "%s %s [%03d] %s: sched:sched_switch: prev_comm=%s prev_pid=%d prev_prio=120 prev_state=%s ==> " \
               "next_comm=%s next_pid=%d next_prio=120" % (
                   comm, "100/%d" % cur if cur else "0/0", cpu, at(when), "python" if prev else "swapper/%d" % cpu,
                   prev, state, "python" if nxt else "swapper/%d" % cpu, nxt)

    def waking(cpu, when, cur, who, target):
        return "python 100/%d [%03d] %s: sched:sched_waking: comm=python pid=%d prio=120 target_cpu=%03d" % (
            cur, cpu, at(when), who, target)

    lines = ["python 100/100 [000] %s: sched:sched_waking: comm=python pid=100 prio=120 target_cpu=000" % at(-100),
             sw(0, 0, 0, 0, "R", 101), sw(1, 0, 0, 0, "R", 102), sw(1, 10, 102, 102, "S", 0),
             waking(0, 20, 101, 102, 1), sw(1, 30, 0, 0, "R", 102), sw(1, 40, 102, 102, "S", 0),
             waking(0, 50, 101, 102, 0), sw(0, 53, 101, 101, "R", 102), sw(0, 60, 102, 102, "S", 101),
             "swapper 0/0 [001] %s: sched:sched_waking: comm=python pid=101 prio=120 target_cpu=000" % at(65),
             sw(0, 70, 101, 101, "S", 0)]
    tool = os.path.join(ROOT, "tools", "validate", "sched_stats")
    want_perf = {"threads": 2, "window_s": 7e-05, "wakeups/s": 42857, "cross_cpu": 0.667, "wakee_still_on_cpu": 0.333,
                 "still_on_cpu_then_out": 0.333, "latency_still_on_cpu_us_quartiles": None, "onto_busy": 0.333, "onto_busy_preempting": 1.0, "preempt_delay_us_quartiles": [3.0] * 3,
                 "onto_idle": 0.333, "latency_onto_idle_us_quartiles": [10.0] * 3, "latency_onto_busy_us_quartiles": [3.0] * 3,
                 "voluntary/s": 57143, "involuntary/s": 14286}
    scen = {"machine": {"cores": 2, "costs": {"tick": "0ns", "syscall": "0ns", "wake": "0ns", "context_switch": "0ns",
                                              "wakeup_latency": "50us", "gil_check": "0ns", "socket_call": "250us",
                                              "timer_slack": "0ns"}, "scheduler": {"resched": "ipi"}},
            "interpreter": {"gil": "nogil"},
            "threads": [{"name": "rx", "affinity": [1], "program": [{"native": "10us"}, {"recv": "m"}, {"native": "1ms"}]},
                        {"name": "hog", "affinity": [1], "start": "100us", "program": [{"native": "10ms"}]},
                        {"name": "tx", "affinity": [0], "program": [{"native": "2ms"}, {"send": "m"}]}]}
    # 4 wake-ups in 11.4 ms (three starts onto idle cores, 50 us each; rx's, the one from another
    # core, onto busy core 1); rx blocks once, hog is preempted once.
    want_gilsim = {"threads": 3, "window_s": 0.0114, "wakeups/s": 351, "cross_cpu": 0.25, "wakee_still_on_cpu": 0.0,
                   "still_on_cpu_then_out": 0.0, "latency_still_on_cpu_us_quartiles": None, "onto_busy": 0.25, "onto_busy_preempting": 1.0, "preempt_delay_us_quartiles": [50.0] * 3,
                   "onto_idle": 0.75, "latency_onto_idle_us_quartiles": [50.0] * 3, "latency_onto_busy_us_quartiles": [50.0] * 3,
                   "voluntary/s": 88, "involuntary/s": 88}
    with tempfile.TemporaryDirectory() as d:
        perf = os.path.join(d, "perf.txt")
        with open(perf, "w") as f:
            f.write("\n".join(lines) + "\n")
        p = subprocess.run([sys.executable, tool, perf, "--threads", "2", "--format", "json"], capture_output=True, text=True)
        got = json.loads(p.stdout) if p.returncode == 0 else p.stderr
        record("validate/sched_stats: a perf script's wake-ups, preemptions and switches", got == want_perf, "%r" % (got,))
        sc, tr = os.path.join(d, "s.json"), os.path.join(d, "t.json")
        with open(sc, "w") as f:
            json.dump(scen, f)
        subprocess.run([gilsim, "run", sc, "--trace", tr], capture_output=True, text=True)
        p = subprocess.run([sys.executable, tool, tr, "--format", "json"], capture_output=True, text=True)
        got = json.loads(p.stdout) if p.returncode == 0 else p.stderr
        record("validate/sched_stats: the same figures from a gilsim trace", got == want_gilsim, "%r" % (got,))
    # --per-thread, and wake-ups of a thread still on its CPU: 202 (CPU 1) is woken at 9 us by 201
    # from CPU 0, leaves its CPU at 10 all the same and is back at 33 (24 us after the wake-up);
    # 201 (CPU 0) is woken at 40 by 202 and leaves only at 60, 20 us on: its sleep was stopped.
    def sw2(cpu, when, cur, prev, state, nxt):
        return "%s %s [%03d] %s: sched:sched_switch: prev_comm=%s prev_pid=%d prev_prio=120 prev_state=%s ==> " \
               "next_comm=%s next_pid=%d next_prio=120" % (
                   "python" if cur else "swapper", "200/%d" % cur if cur else "0/0", cpu, at(when),
                   "python" if prev else "swapper/%d" % cpu, prev, state, "python" if nxt else "swapper/%d" % cpu, nxt)

    def waking2(cpu, when, cur, who, target):
        return "python 200/%d [%03d] %s: sched:sched_waking: comm=python pid=%d prio=120 target_cpu=%03d" % (
            cur, cpu, at(when), who, target)
    lines2 = ["python 200/200 [000] %s: sched:sched_waking: comm=python pid=200 prio=120 target_cpu=000" % at(-100),
              sw2(0, 0, 0, 0, "R", 201), sw2(1, 0, 0, 0, "R", 202), waking2(0, 9, 201, 202, 1),
              sw2(1, 10, 202, 202, "S", 0), sw2(1, 33, 0, 0, "R", 202), waking2(1, 40, 202, 201, 0),
              sw2(0, 60, 201, 201, "S", 0), sw2(1, 70, 202, 202, "S", 0)]
    with tempfile.TemporaryDirectory() as d:
        perf = os.path.join(d, "perf2.txt")
        with open(perf, "w") as f:
            f.write("\n".join(lines2) + "\n")
        p = subprocess.run([sys.executable, tool, perf, "--per-thread", "--format", "json"], capture_output=True, text=True)
        got = json.loads(p.stdout) if p.returncode == 0 else {}
        keys = ("wakee_still_on_cpu", "still_on_cpu_then_out", "latency_still_on_cpu_us_quartiles")
        got = {th: [got[th][k] for k in keys] for th in got}
        want = {"201": [1.0, 0.0, None], "202": [1.0, 1.0, [24.0] * 3]}
        record("validate/sched_stats: per thread, a wake-up of a thread still on its CPU that leaves it, "
               "and the time to its return", got == want, "%r" % (got,))
    p = subprocess.run([sys.executable, tool, os.path.join(ROOT, "no-such-trace.txt")], capture_output=True, text=True)
    record("validate/sched_stats: a missing file is refused in one line",
           p.returncode != 0 and len(p.stderr.strip().splitlines()) == 1 and not p.stdout, p.stderr + p.stdout)


def futex_trace_poll_turns():
    """tools/validate/futex_trace on a small poll-mode perf script: the I/O thread's selects less
    than 200 us apart make a turn (first and last turn left out); the other threads' wake-ups
    from 100 us before a turn to its last select are counted by vCPU, with the time from
    sched_waking to the thread's switch-in for those woken onto another vCPU."""
    def at(us):
        return "%.6f" % (1000.0 + us / 1e6)

    def sel(when):
        return "python 100/103 [000] %s: syscalls:sys_enter_pselect6: n: 0x00000004, inp: 0x7f00, outp: 0x0" % at(when)

    def waking(when, tid, cpu):
        return "python 100/103 [000] %s: sched:sched_waking: comm=python pid=%d prio=120 target_cpu=%03d" % (at(when), tid, cpu)

    def switch_in(when, tid, cpu):
        return ("swapper 0/0 [%03d] %s: sched:sched_switch: prev_comm=swapper/%d prev_pid=0 prev_prio=120 "
                "prev_state=R ==> next_comm=python next_pid=%d next_prio=120" % (cpu, at(when), cpu, tid))

    def wake_call(tid, when):
        return ["python 100/%d [001] %s: syscalls:sys_enter_futex: uaddr: 0x7f00000006f8, op: 0x00000081, val: 0x00000001, "
                "utime: 0x00000000, uaddr2: 0x00000000, val3: 0x00000000" % (tid, at(when)),
                "python 100/%d [001] %s: syscalls:sys_exit_futex: 0x0" % (tid, at(when + 0.5))]

    lines = wake_call(101, -50) + wake_call(102, -40) + [sel(0)]
    lines += [sel(1000), sel(1005), sel(1010), waking(950, 102, 0), waking(1002, 101, 1), switch_in(1042, 101, 1)]
    lines += [sel(2000), waking(1800, 101, 1)]  # 200 us before the turn: not counted
    lines += [sel(3000)]
    p = run_futex_trace(lines)
    try:
        got = json.loads(p.stdout)[0]["poll_turns"]
    except (ValueError, KeyError, IndexError):
        record("validate/futex_trace: poll turns", False, p.stdout + p.stderr)
        return
    want = {"turns": 2, "sizes": {"1": 1, "2": 0, "3": 1, "4": 0, "5-9": 0, "10+": 0},
            "ops_in_turns_of_two_or_more": 0.75,
            "wakeups_of_other_threads": {"onto_the_io_threads_vcpu": 1, "onto_another": 1},
            "another_vcpu_wakeup_to_run_us_quartiles": [40.0] * 5}
    record("validate/futex_trace: poll turns", got == want, "%r" % (got,))


def validate_from_refuses():
    """tools/validate/run --from a file that is not a recording (a table, a missing file): one line
    on stderr naming the file, a non-zero exit, nothing on stdout."""
    tool = os.path.join(ROOT, "tools", "validate", "run")
    with tempfile.TemporaryDirectory() as d:
        table = os.path.join(d, "table.txt")
        with open(table, "w") as f:
            f.write("python 3.11.7 on x86_64, 2 cores; repeats 7\ncase quantity\n")
        for bad in (table, os.path.join(d, "missing.json"), os.path.join(ROOT, "scenarios", "convoy.json")):
            p = subprocess.run([sys.executable, tool, "--from", bad, "--gilsim", "x", "--profile", "x"],
                               capture_output=True, text=True)
            lines = p.stderr.strip().splitlines()
            record("validate/run: --from %s is refused in one line" % os.path.basename(bad),
                   p.returncode != 0 and len(lines) == 1 and not p.stdout and os.path.basename(bad) in lines[0],
                   p.stderr + p.stdout)


def calibrate_shallow_from_refuses():
    """tools/calibrate --shallow-from a file that is not a profile with measurements.shallow_wake,
    or one made on another machine: one line on stderr naming the file, exit 2, before any
    benchmark runs (so no interpreter is needed: --python names one that does not exist)."""
    tool = os.path.join(ROOT, "tools", "calibrate")
    with tempfile.TemporaryDirectory() as d:
        other = os.path.join(d, "other-machine.json")
        with open(os.path.join(ROOT, "docs", "data", "profile-3.11.7-q.json")) as f:
            prof = json.load(f)
        prof["source"]["machine"] = "x86_64 / 64 cores, elsewhere, Linux 5.10"
        with open(other, "w") as f:
            json.dump(prof, f)
        for bad in (os.path.join(d, "missing.json"), os.path.join(ROOT, "README.md"),
                    os.path.join(ROOT, "docs", "data", "profile-3.11.7-f.json"), other):
            p = subprocess.run([sys.executable, tool, "--python", os.path.join(d, "no-python"), "--shallow-from", bad],
                               capture_output=True, text=True)
            lines = p.stderr.strip().splitlines()
            record("calibrate: --shallow-from %s is refused in one line" % os.path.basename(bad),
                   p.returncode == 2 and len(lines) == 1 and not p.stdout and os.path.basename(bad) in lines[0],
                   p.stderr + p.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gilsim", required=True)
    ap.add_argument("--other")
    ap.add_argument("--update", action="store_true")
    a = ap.parse_args()
    gilsim = os.path.abspath(a.gilsim)
    other = os.path.abspath(a.other) if a.other else None
    golden_and_claims(gilsim, a.update)
    cases(gilsim)
    bad_corpus(gilsim)
    pictures(gilsim)
    determinism(gilsim, other)
    fight_replays(gilsim)
    tail_tables()
    calibrate_shallow_idle()
    poll_op_split(gilsim)
    sequential_tick(gilsim)
    median_intervals()
    clock_steps()
    alone_moves()
    calibrate_window_end()
    futex_trace_summary()
    sched_stats_summary(gilsim)
    futex_trace_poll_turns()
    validate_from_refuses()
    calibrate_shallow_from_refuses()
    passed = sum(1 for _, ok in results if ok)
    print("cli: %d passed, %d failed" % (passed, len(results) - passed))
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
