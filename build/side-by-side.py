#!/usr/bin/env python3
"""Compares upstream's node-test image and node-test's on one selection (build/bench-upstream.sh).

side-by-side.py DIR PARALLELISM reads DIR/upstream/junit_01.xml, DIR/node-test/junit_01.xml
and DIR/node-test/summary.json, and DIR/{upstream,node-test}.seconds (each whole run's wall
time). It prints both wall times, whole run and specs only, their ratio, the verdicts of
each side, and every spec whose verdict differs, with both messages. It exits 1 when a side
left no JUnit: the comparison would say nothing.
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

# What ginkgo's JUnit appends to a spec's text: its labels, "[Label1, Label2]", and the
# version constraints upstream's framework gives some specs.
LABELS = re.compile(r"( \[[^\[\]]*(, [^\[\]]*)+\]| \[[^\[\]]*(>=|<)[^\[\]]*\])+$")
# The suite-level nodes ginkgo reports as testcases of their own.
SUITE_NODES = ("[SynchronizedBeforeSuite]", "[BeforeSuite]", "[SynchronizedAfterSuite]",
               "[AfterSuite]", "[ReportAfterSuite]", "[ReportBeforeSuite]", "[DeferCleanup (Suite)]")


def spec_name(name):
    name = name.removeprefix("[It] ")
    return LABELS.sub("", name).strip()


def verdict(case):
    for tag in ("failure", "error"):
        el = case.find(tag)
        if el is not None:
            return "failed", ((el.get("message") or "") + "\n" + (el.text or "")).strip()
    el = case.find("skipped")
    if el is not None:
        return "skipped", (el.get("message") or "").strip()
    return "passed", ""


def read(path):
    """Returns {spec: (verdict, message, seconds)} and the suite's seconds without its suite
    nodes (the services' start, the node wait).

    Each parallel process reports its own suite nodes, which run at the same time (the
    other processes wait for the first one's SynchronizedBeforeSuite): a node counts once,
    with its longest time.
    """
    root = ET.parse(path).getroot()
    specs, suite = {}, {}
    for case in root.iter("testcase"):
        name, secs = case.get("name", ""), float(case.get("time") or 0)
        if name.startswith(SUITE_NODES):
            suite[name] = max(secs, suite.get(name, 0.0))
            continue
        if not name.startswith("[It]"):
            continue  # node-test's host checks and setup steps
        v, msg = verdict(case)
        # A spec the focus did not select: ginkgo reports it skipped, with no reason.
        if v == "skipped" and msg in ("", "skipped"):
            continue
        specs[spec_name(name)] = (v, msg, secs)
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = max((float(s.get("time") or 0) for s in suites), default=0.0)
    return specs, total - sum(suite.values())


def short(msg, width=300):
    msg = " ".join(msg.split())
    return msg if len(msg) <= width else msg[:width] + "…"


def counts(specs):
    out = {"passed": 0, "failed": 0, "skipped": 0}
    for v, _, _ in specs.values():
        out[v] += 1
    return out


def main():
    d, parallelism = sys.argv[1], int(sys.argv[2])
    sides = {}
    for side in ("upstream", "node-test"):
        junit = os.path.join(d, side, "junit_01.xml")
        if not os.path.exists(junit):
            sys.exit(f"side by side: {side} left no {junit}: see {os.path.join(d, side + '.log')}")
        specs, spec_wall = read(junit)
        wall = float(open(os.path.join(d, side + ".seconds")).read())
        sides[side] = {"specs": specs, "wall": wall, "spec_wall": spec_wall}
    # Specs only: upstream's from its suite time; node-test's JUnit holds no such time, its
    # summary does (the floor times its ratio).
    floor = json.load(open(os.path.join(d, "node-test", "summary.json")))["floor"]
    sides["node-test"]["spec_wall"] = floor["seconds"] * floor["ratio"]

    up, nt = sides["upstream"], sides["node-test"]
    print(f"selection {os.path.basename(d)}, PARALLELISM={parallelism}")
    print(f"{'':12}{'whole run':>12}{'specs only':>12}   specs ran: passed failed skipped")
    for side in ("upstream", "node-test"):
        s, c = sides[side], counts(sides[side]["specs"])
        print(f"{side:12}{s['wall']:11.0f}s{s['spec_wall']:11.0f}s   {len(s['specs']):9}: "
              f"{c['passed']:6} {c['failed']:6} {c['skipped']:7}")
    print(f"{'ratio':12}{nt['wall'] / up['wall']:11.2f}×{nt['spec_wall'] / max(up['spec_wall'], 1):11.2f}×"
          "   (node-test / upstream)")

    names = sorted(set(up["specs"]) | set(nt["specs"]))
    diff = [n for n in names
            if up["specs"].get(n, ("not run",))[0] != nt["specs"].get(n, ("not run",))[0]]
    print(f"{len(diff)} specs whose verdict differs:")
    for n in diff:
        print(f"- {n}")
        for side in ("upstream", "node-test"):
            v, msg, secs = sides[side]["specs"].get(n, ("not run", "", 0))
            print(f"    {side:10} {v}{f' ({secs:.0f}s)' if v != 'not run' else ''}{': ' + short(msg) if msg else ''}")


if __name__ == "__main__":
    main()
