#!/usr/bin/env python3
"""Plots a metric of a `gilsim sweep` file against one varied parameter, one line per value of
another.

Usage:
  tools/plot_sweep.py SWEEP.jsonl --x interpreter.switch_interval \\
      --y 'threads[io].gil_latency_ns.mean' --lines threads.0.count -o plot.png
  [--where PATH=VALUE]... (fix other varied parameters)  [--logx] [--title TEXT] [--ylabel TEXT]
  [--lines-label TEXT]

--x and --lines name varied paths (keys of each record's "values"); --y is a path into the record
(`threads[io]` picks the thread named io, `cores.0` an index). Durations such as "500us" are
plotted as milliseconds; nanosecond metrics (`*_ns`) are plotted in milliseconds. Replications of
a point are averaged. Needs matplotlib (Debian: python3-matplotlib; tools/setup installs it).
"""
import argparse
import json
import os
import re
import sys
from collections import defaultdict

UNITS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def as_number(v):
    """A varied value as a number: durations in milliseconds, numbers as they are."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return float(v), False
    if isinstance(v, str):
        m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)?)(ns|us|ms|s)", v)
        if m:
            return float(m.group(1)) * UNITS[m.group(2)], True
    return None, False


def get(record, path):
    cur = record
    for part in path.replace("]", "").replace("[", ".").split("."):
        if isinstance(cur, list):
            if part.isdigit():
                cur = cur[int(part)]
            else:
                found = [t for t in cur if isinstance(t, dict) and t.get("name") == part]
                if not found:
                    raise KeyError(part)
                cur = found[0]
        else:
            cur = cur[part]
    return cur


def fail(msg):
    print("plot_sweep.py: error: " + msg, file=sys.stderr)
    sys.exit(2)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sweep")
    ap.add_argument("--x", required=True)
    ap.add_argument("--y", required=True)
    ap.add_argument("--lines")
    ap.add_argument("--where", action="append", default=[])
    ap.add_argument("--logx", action="store_true")
    ap.add_argument("--title")
    ap.add_argument("--ylabel", help="label of the y axis (default: the --y path)")
    ap.add_argument("--lines-label", help="legend text before each --lines value (default: the --lines path)")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        # Debian's python3-matplotlib lives in /usr/bin/python3's path; another python3 may be first.
        if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3"):
            os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
        fail("matplotlib is missing: apt-get install python3-matplotlib (tools/setup installs it)")

    where = {}
    for w in a.where:
        if "=" not in w:
            fail("--where %r: expected PATH=VALUE" % w)
        k, v = w.split("=", 1)
        try:
            where[k] = json.loads(v)
        except ValueError:
            where[k] = v
    series = defaultdict(lambda: defaultdict(list))  # line value -> x -> [y]
    x_names = {}  # x -> the value as written ("500us")
    x_is_duration = False
    skipped = 0
    with open(a.sweep) as f:
        for n, line in enumerate(f, 1):
            if not line.endswith("\n"):
                continue  # a torn last line of an interrupted sweep
            r = json.loads(line)
            vals = r.get("values", {})
            if any(vals.get(k) != v for k, v in where.items()):
                continue
            if "limit" in r:
                skipped += 1
                continue
            if a.x not in vals:
                fail("line %d: %r is not a varied value (varied: %s)" % (n, a.x, ", ".join(vals)))
            if a.lines and a.lines not in vals:
                fail("line %d: %r is not a varied value (varied: %s)" % (n, a.lines, ", ".join(vals)))
            others = [k for k in vals if k not in (a.x, a.lines) and k not in where]
            if others:
                fail("more parameters vary than --x and --lines: fix them with --where (%s)" % ", ".join(others))
            x, dur = as_number(vals[a.x])
            if x is None:
                fail("line %d: %s = %r is not a number or a duration" % (n, a.x, vals[a.x]))
            x_is_duration = x_is_duration or dur
            x_names[x] = vals[a.x] if isinstance(vals[a.x], str) else ("%g" % x)
            try:
                y = get(r, a.y)
            except (KeyError, IndexError, TypeError):
                fail("line %d: no %r in the record" % (n, a.y))
            if y is None:
                continue
            series[vals.get(a.lines) if a.lines else None][x].append(float(y))
    if not series:
        fail("no records to plot in %s" % a.sweep)
    if skipped:
        print("plot_sweep.py: %d runs that hit a limit left out" % skipped, file=sys.stderr)
    scale, unit = (1e-6, " (ms)") if "_ns" in a.y else (1.0, "")

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    for key in sorted(series, key=lambda k: (as_number(k)[0] is None, as_number(k)[0] or 0, str(k))):
        pts = sorted(series[key].items())
        label = "%s %s" % (a.lines_label, key) if a.lines_label else ("%s = %s" % (a.lines, key) if a.lines else None)
        ax.plot([p[0] for p in pts], [sum(ys) / len(ys) * scale for _, ys in pts], marker="o", label=label)
    ax.set_xlabel(a.x + (" (ms)" if x_is_duration and not a.logx else ""))
    ax.set_ylabel((a.ylabel or a.y) + unit)
    if a.logx:
        ax.set_xscale("log")
        ticks = sorted(x_names)
        ax.set_xticks(ticks)
        ax.set_xticklabels([x_names[t] for t in ticks])
        ax.minorticks_off()
    ax.set_title(a.title or "%s vs %s" % (a.y, a.x), fontsize=10)
    ax.grid(True, alpha=0.3)
    if a.lines:
        ax.legend(fontsize=8)
    fig.tight_layout()
    tmp = "%s.tmp.%d" % (a.output, os.getpid())  # atomically: renamed when complete
    fig.savefig(tmp, format=os.path.splitext(a.output)[1].lstrip(".") or "png")
    os.replace(tmp, a.output)
    print("plot_sweep.py: wrote %s" % a.output, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
