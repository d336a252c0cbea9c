#!/usr/bin/env python3
"""The API server's load of one node's certification, from its metrics.

    api-load.py METRICS INFLIGHT SECONDS [NODES PARALLEL...]

METRICS is the API server's /metrics as last sampled before the run ended
(every request of the run counted: the specs', the runner's, and the
kubelet's and namespace controller's that the specs caused); INFLIGHT the
samples of apiserver_current_inflight_requests taken during the run, one line
each; SECONDS how long the control plane served the run. Prints the requests
by verb, the objects created by resource, the request rate, the mean number
of requests in flight (Little's law: the time requests took, over the run's
time) and the highest sampled; then, for NODES nodes certified PARALLEL at a
time (default 5000 at 50 and 500), what the same runs would put on one API
server against its default inflight limits (--max-requests-inflight 400,
--max-mutating-requests-inflight 200).
"""
import re
import sys

LONG_RUNNING = {"WATCH", "CONNECT"}
MUTATING = {"POST", "PUT", "PATCH", "DELETE", "DELETECOLLECTION", "APPLY"}
LIMITS = {"readOnly": 400, "mutating": 200}
LINE = re.compile(r'^(\w+)\{(.*)\} ([0-9.e+-]+)$')


def parse(path):
    out = []
    for line in open(path):
        m = LINE.match(line.strip())
        if m:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2)))
            out.append((m.group(1), labels, float(m.group(3))))
    return out


def main():
    metrics, inflight_path, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    nodes = int(sys.argv[4]) if len(sys.argv) > 4 else 5000
    parallel = [int(p) for p in sys.argv[5:]] or [50, 500]
    samples = parse(metrics)
    by_verb, created = {}, {}
    busy = {"readOnly": 0.0, "mutating": 0.0}
    for name, labels, value in samples:
        verb = labels.get("verb", "")
        if name == "apiserver_request_total":
            by_verb[verb] = by_verb.get(verb, 0) + value
            if verb == "POST" and labels.get("code", "").startswith("2"):
                what = labels.get("resource", "") + ("/" + labels["subresource"] if labels.get("subresource") else "")
                created[what] = created.get(what, 0) + value
        elif name == "apiserver_request_duration_seconds_sum" and verb not in LONG_RUNNING:
            busy["mutating" if verb in MUTATING else "readOnly"] += value
    peak = {"readOnly": 0, "mutating": 0}
    for line in open(inflight_path):
        for kind, value in re.findall(r'request_kind="(\w+)"\}=(\d+)', line):
            peak[kind] = max(peak[kind], int(value))
    total = sum(v for k, v in by_verb.items() if k not in LONG_RUNNING)
    mutating = sum(v for k, v in by_verb.items() if k in MUTATING)
    print(f"one node: {total:.0f} requests in {seconds:.0f} s ({total / seconds:.1f}/s), {mutating:.0f} of them mutating; "
          f"{by_verb.get('WATCH', 0):.0f} watches")
    print("  by verb: " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(by_verb.items(), key=lambda kv: -kv[1])))
    print(f"  objects created: {sum(created.values()):.0f} (" +
          ", ".join(f"{k} {v:.0f}" for k, v in sorted(created.items(), key=lambda kv: -kv[1])[:8]) + ")")
    mean = {k: v / seconds for k, v in busy.items()}
    print(f"  in flight: mean {mean['readOnly']:.2f} read-only, {mean['mutating']:.2f} mutating (Little's law); "
          f"highest sampled {peak['readOnly']} and {peak['mutating']}")
    if peak["readOnly"] and peak["mutating"]:
        safe = min(LIMITS["readOnly"] // peak["readOnly"], LIMITS["mutating"] // peak["mutating"])
        print(f"  --max-parallel {safe} stays within the default limits even with every node at its sampled peak at once")
    for p in parallel:
        waves = -(-nodes // p)
        print(f"{nodes} nodes at --max-parallel {p}: {waves} waves, {waves * seconds / 3600:.1f} h; "
              f"{p * total / seconds:.0f} requests/s ({p * mutating / seconds:.0f} mutating); "
              f"in flight, mean {p * mean['readOnly']:.1f} read-only of {LIMITS['readOnly']} and {p * mean['mutating']:.1f} "
              f"mutating of {LIMITS['mutating']}, at worst (every node at its sampled peak at once) "
              f"{p * peak['readOnly']} and {p * peak['mutating']}: "
              + ("within" if p * peak['readOnly'] <= LIMITS['readOnly'] and p * peak['mutating'] <= LIMITS['mutating']
                 else "within on average" if p * mean['readOnly'] <= LIMITS['readOnly'] and p * mean['mutating'] <= LIMITS['mutating']
                 else "beyond") + " the default limits")


if __name__ == "__main__":
    main()
