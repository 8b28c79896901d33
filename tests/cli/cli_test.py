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
import json
import os
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


def determinism(gilsim, other):
    for f in scenario_files():
        a = run(gilsim, ["run", "scenarios/" + f, "--format", "json"])[1]
        b = run(gilsim, ["run", "scenarios/" + f, "--format", "json"])[1]
        record("deterministic twice " + f, a == b and a != "", "two runs differ")
        if other:
            c = run(other, ["run", "scenarios/" + f, "--format", "json"])[1]
            record("deterministic across builds " + f, a == c and a != "", "%s and %s differ" % (gilsim, other))


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
    determinism(gilsim, other)
    passed = sum(1 for _, ok in results if ok)
    print("cli: %d passed, %d failed" % (passed, len(results) - passed))
    return 0 if passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
