#!/usr/bin/env bash
# The NodeCapacity spec ([Serial], reached with FOCUS=NodeCapacity alone) on
# the local node with the kubelet's maxPods at 20 and a static pod already
# running, in a namespace the run's control plane does not have (so it has
# no mirror pod there): it must count that pod, fill the node with 19 more,
# see the 21st refused with
# OutOfpods and every container of them removed once they are deleted, and
# pass. Then the same spec with its pods on the "slow" runtime handler
# (build/slow-runc, 3 s more per container created) must fail on its pod
# startup latency check, and on nothing else. The kubelet goes back to
# maxPods 110 afterwards, whatever the outcome.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=build/lib.sh
source "$ROOT/build/lib.sh"

MAX_PODS=20
STATIC_POD=node-capacity-already-running
STATIC_MANIFEST=$STATIC_POD_DIR/$STATIC_POD.yaml
static_pod_ready() { [[ -n $("$OUT/bin/crictl" pods --name "$STATIC_POD" --state ready -q) ]]; }
static_pod_stopped() { ! static_pod_ready; }
restore() {
	echo "==> e2e-node-capacity: back to maxPods 110, static pod $STATIC_POD removed"
	rm -f "$STATIC_MANIFEST"
	KUBELET_MAX_PODS=110 "$ROOT/build/node-up.sh" >/dev/null
	wait_for "static pod $STATIC_POD to stop" 120 static_pod_stopped
	# Its sandbox, this script's, goes now rather than at the kubelet's next
	# garbage collection.
	local sandbox
	for sandbox in $("$OUT/bin/crictl" pods --name "$STATIC_POD" -q); do
		"$OUT/bin/crictl" rmp "$sandbox" >/dev/null
	done
}
trap restore EXIT
echo "==> e2e-node-capacity: the kubelet's maxPods is $MAX_PODS, static pod $STATIC_POD runs"
KUBELET_MAX_PODS=$MAX_PODS "$ROOT/build/node-up.sh" >/dev/null
cat >"$STATIC_MANIFEST" <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $STATIC_POD
  namespace: node-capacity-elsewhere
spec:
  containers:
  - name: pause
    image: registry.k8s.io/pause:3.10.2
    imagePullPolicy: Never
EOF
wait_for "static pod $STATIC_POD to run" 120 static_pod_ready

# check REPORT WANT_RC PASSED: the run's exit code, the spec's verdict and
# its figures, as the JUnit's properties and summary.txt carry them.
check() {
	local report=$1 want_rc=$2 rc=$3 passed=$4
	((rc == want_rc)) || die "node-test run exited $rc, want $want_rc (report in $report)"
	grep -q '^MEASURED .*NodeCapacity' "$report/summary.txt" || die "summary.txt has no MEASURED line for NodeCapacity"
	grep -q '<h2>Measured</h2>' "$report/report.html" || die "report.html has no Measured section"
	python3 - "$report/junit_01.xml" "$MAX_PODS" "$passed" <<'PY'
import sys, xml.etree.ElementTree as ET
path, max_pods, passed = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "passed"
cases = [c for c in ET.parse(path).getroot().iter("testcase") if "NodeCapacity" in c.get("name", "")]
if len(cases) != 1:
    sys.exit(f"e2e-node-capacity: {len(cases)} NodeCapacity testcases, want 1")
case = cases[0]
props = {p.get("name"): p.get("value") for p in case.iter("property")}
def num(name):
    if name not in props:
        sys.exit(f"e2e-node-capacity: the testcase has no property {name!r}: {props}")
    return float(props[name])
failure = case.find("failure")
message = "" if failure is None else (failure.get("message") or "") + (failure.text or "")
if num("pods allocatable") != max_pods:
    sys.exit(f"e2e-node-capacity: pods allocatable {props['pods allocatable']}, want {max_pods}")
already, created = num("pods already running"), num("pods created")
if already != 1:
    sys.exit(f"e2e-node-capacity: {already:.0f} pods already running counted, want 1: the static pod")
if already + created != max_pods:
    sys.exit(f"e2e-node-capacity: {created:.0f} pods created beside {already:.0f} already running, not the {max_pods} the node allocates")
if props.get("one pod more") != '"OutOfpods"':
    sys.exit(f"e2e-node-capacity: pod {max_pods + 1} was not refused with OutOfpods: {props.get('one pod more')}")
for name in ("containers stopped (s)", "containers removed (s)"):
    num(name)
p99, slo = num("startup p99 (s)"), num("startup SLO p99 (s)")
if passed:
    if failure is not None:
        sys.exit(f"e2e-node-capacity: the spec failed on the healthy node: {message[:500]}")
    if p99 > slo:
        sys.exit(f"e2e-node-capacity: p99 {p99}s above the SLO's {slo}s, yet the spec passed")
    print(f"e2e-node-capacity: passed: {created:.0f} pods created beside {already:.0f} static pod, pod {max_pods + 1} refused (OutOfpods), startup p99 {p99}s")
else:
    if failure is None:
        sys.exit(f"e2e-node-capacity: the spec passed on the slow runtime (startup p99 {p99}s)")
    want = "99th percentile of pod startup latency"
    if want not in message or p99 <= slo:
        sys.exit(f"e2e-node-capacity: the spec failed without saying {want!r} (p99 {p99}s): {message[:500]}")
    for other in ("did not start", "did not refuse", "still holds"):
        if other in message:
            sys.exit(f"e2e-node-capacity: the spec failed on more than the latency ({other!r}): {message[:500]}")
    print(f"e2e-node-capacity: failed as it must on the slow runtime: startup p99 {p99}s above the SLO's {slo}s")
PY
}

export FOCUS=NodeCapacity
report=$OUT/results-capacity
set +e
REPORT_PATH=$report "$ROOT/build/run.sh"
rc=$?
set -e
check "$report" 0 "$rc" passed

echo "==> e2e-node-capacity: the spec's pods on the slow runtime handler"
report=$OUT/results-capacity-slow
set +e
REPORT_PATH=$report TEST_ARGS=--runtime-handler=slow "$ROOT/build/run.sh"
rc=$?
set -e
check "$report" 1 "$rc" failed
