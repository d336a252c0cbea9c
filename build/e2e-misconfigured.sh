#!/usr/bin/env bash
# Upstream's node specs, as node-test runs them, fail on a node that gets
# what they check wrong: the local node with its misconfigured handler
# (build/misconfigured-runc: SIGKILL for SIGTERM, nothing masked or
# read-only, ...) as the runtime's default, for every pod. Each sample must
# fail, saying what its assertion found. Then a node whose CRI endpoint
# answers the kubelet's ReopenContainerLog without reopening the log
# (cmd/misconfigured-cri) must fail node-test's log rotation spec. Then a
# node whose runtime drops the containers' environment (build/noenv-runc)
# must fail, as the node's failure, at the kubelet sync. The node goes back
# to runc, the kubelet talking to containerd, afterwards, whatever the
# outcome.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=build/lib.sh
source "$ROOT/build/lib.sh"

restore() {
	echo "==> e2e-misconfigured: back to runc as the runtime's default handler, the kubelet talking to containerd"
	RUNTIME_HANDLER=runc CRI_PROXY=none "$ROOT/build/node-up.sh" >/dev/null
}
trap restore EXIT
echo "==> e2e-misconfigured: the runtime's default handler is the misconfigured one"
RUNTIME_HANDLER=misconfigured "$ROOT/build/node-up.sh" >/dev/null

# Each sample: a FOCUS regex of one spec of upstream's node suite, and what
# its failure must say on this node.
samples=(
	'DefaultProcMount \[LinuxOnly\] will mask proc mounts by default|proc_mount.go'
	'Deleted pods handling Should transition to Succeeded phase a deleted pod when containers complete with 0 exit code Restart policy Never|failed with status'
	'Containers Lifecycle when A pod with restartable init containers is terminating when The containers exit successfully should terminate sidecars in reverse order|<int32>: 137'
)
# expect_failures NAME SAMPLE...: runs node-test with FOCUS the samples'
# regexes into $OUT/results-NAME; it must exit 1, and each sample's spec
# must have failed saying what the sample says.
expect_failures() {
	local name=$1 focus= rc s
	shift
	for s in "$@"; do focus+="${focus:+|}${s%%|*}"; done
	export REPORT_PATH=$OUT/results-$name
	set +e
	FOCUS=$focus PARALLELISM=3 "$ROOT/build/run.sh"
	rc=$?
	set -e
	((rc == 1)) || die "node-test run exited $rc on the $name node, want 1 (spec failures)"
	python3 - "$REPORT_PATH/junit_01.xml" "$@" <<'PY'
import re, sys, xml.etree.ElementTree as ET
path, samples = sys.argv[1], sys.argv[2:]
cases = {c.get("name", ""): c for c in ET.parse(path).getroot().iter("testcase")}
bad = []
for s in samples:
    regex, want = s.rsplit("|", 1)
    found = [c for name, c in cases.items() if name.startswith("[It]") and re.search(regex, name)]
    if len(found) != 1:
        bad.append(f"{regex}: {len(found)} testcases, want 1")
        continue
    f = found[0].find("failure")
    if f is None:
        f = found[0].find("error")
    if f is None:
        bad.append(f"{regex}: did not fail on the misconfigured node")
    elif want not in (f.text or "") + (f.get("message") or ""):
        bad.append(f"{regex}: failed without saying {want!r}: {(f.text or '')[:300]!r}")
    else:
        print(f"e2e-misconfigured: failed as it must: {found[0].get('name')}")
if bad:
    sys.exit("e2e-misconfigured:\n  " + "\n  ".join(bad))
PY
}
expect_failures misconfigured "${samples[@]}"

# A runtime whose CRI server does not reopen a container's log when the
# kubelet rotates it (cmd/misconfigured-cri in front of containerd, runc
# the handler): node-test's log rotation spec fails, finding the new 0.log
# without the lines written since.
echo "==> e2e-misconfigured: the kubelet's CRI endpoint does not reopen container logs"
RUNTIME_HANDLER=runc CRI_PROXY=misconfigured "$ROOT/build/node-up.sh" >/dev/null
expect_failures cri-proxy "ContainerLogRotation should rotate a container's log|the runtime writes into the rotated file"

# A node whose runtime drops the environment pods give their containers is
# the node's failure, found at the kubelet sync within a minute: exit code 1,
# a failed check naming it, no spec run.
echo "==> e2e-misconfigured: the runtime's default handler drops the containers' environment"
RUNTIME_HANDLER=noenv "$ROOT/build/node-up.sh" >/dev/null
export REPORT_PATH=$OUT/results-noenv
start=$SECONDS
set +e
FOCUS='\[sig-node\] Pods should get a host IP' "$ROOT/build/run.sh"
rc=$?
set -e
((rc == 1)) || die "node-test run exited $rc on a node that drops the containers' environment, want 1 (the node's failure)"
((SECONDS - start < 240)) || die "the run took $((SECONDS - start))s to find that the node drops the containers' environment"
grep -q '^FAIL: no spec ran' "$REPORT_PATH/summary.txt" || die "summary: $(head -1 "$REPORT_PATH/summary.txt")"
python3 - "$REPORT_PATH/junit_01.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
for c in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    f = c.find("failure")
    if c.get("name") == "[runtime] container environment" and f is not None and "drops the environment" in (f.get("message") or ""):
        print("e2e-misconfigured: failed as it must: [runtime] container environment")
        break
else:
    sys.exit("e2e-misconfigured: no failed check [runtime] container environment saying the node drops the environment")
PY
