#!/usr/bin/env bash
# A focused selection of the official node conformance specs — pods, probes,
# volumes, environment, lifecycle — run against the local node through
# `node-test run`, as a user would, on a node holding none of the test
# images but pause. Fails unless every selected spec passes.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=build/lib.sh
source "$ROOT/build/lib.sh"

# Short specs from each area; the slow probe specs (minutes of waiting for a
# restart that must not happen) stay in the full run.
E2E_FOCUS='\[sig-node\] Pods should (get a host IP|be submitted and removed|be updated|allow activeDeadlineSeconds|contain environment variables for services|run through the lifecycle of Pods and PodStatus)'
E2E_FOCUS+='|\[sig-node\] Probing container (with readiness probe should not be ready before initial delay|with readiness probe that fails should never be ready|should be restarted with a exec "cat /tmp/health" liveness probe)'
E2E_FOCUS+='|\[sig-node\] Variable Expansion should allow (composing env vars|substituting values in a container.s (args|command))'
E2E_FOCUS+='|\[sig-node\] Downward API should provide (pod name, namespace and IP address|container.s limits.cpu/memory and requests.cpu/memory as env vars|host IP as an env var)'
E2E_FOCUS+='|\[sig-node\] Container Lifecycle Hook when create a pod with lifecycle hook should execute (poststart|prestop) (exec|https) hook properly'
E2E_FOCUS+='|\[sig-node\] InitContainer \[NodeConformance\] should invoke init containers on a Restart(Never|Always) pod'
E2E_FOCUS+='|\[sig-node\] Container Runtime blackbox test on terminated container should report termination message'
E2E_FOCUS+='|\[sig-storage\] EmptyDir volumes should support \((root|non-root),0644,(default|tmpfs)\)'
E2E_FOCUS+='|\[sig-storage\] (ConfigMap|Secrets) should be consumable from pods in volume \[NodeConformance\] \[Conformance\]'
E2E_FOCUS+='|\[sig-storage\] Downward API volume should provide podname only'
# Pods of the glibc-dns-testing image (node-test's glibc base), of nonroot
# and of nonewprivs (agnhost-prev's is the Pods lifecycle spec above).
E2E_FOCUS+='|\[sig-node\] Override hostname of Pod'
E2E_FOCUS+='|\[sig-node\] Security Context (When creating a container with runAsNonRoot should run with an image specified user ID|when creating containers with AllowPrivilegeEscalation should allow privilege escalation when not explicitly set and uid != 0)'
# node-test's own specs, every area (and upstream's node suite's MirrorPod
# specs, which share the area's name).
E2E_FOCUS+='|\[sig-node\] (MirrorPod|PodLifecycle|SidecarContainers|KubeletEndpoints|PodSecurity|ContainerSecurityContext|ContainerResources|ContainerView) '
E2E_FOCUS+='|\[sig-node\] (PodNamespaces|MountPropagation|RuntimeNetworking|Seccomp|ContainerProcess|ContainerLogRotation|ImageConfig|ContainerStreams) '
# Upstream's node suite (test/e2e_node), the short specs of each area:
# restartable init (sidecar) and init container lifecycle, deleted and
# terminating pods, pod conditions, the kubelet's cgroups, recursive
# read-only mounts as a runtime without them must handle them, mirror pods'
# generation, host IPs, /proc masking.
E2E_FOCUS+='|\[sig-node\] Containers Lifecycle when using a Pod with restartPolicy=Never, three init container and two restartable init containers'
E2E_FOCUS+='|\[sig-node\] Containers Lifecycle when Running a pod with init containers and regular containers, restartPolicy=Never when an init container fails should not launch regular containers'
E2E_FOCUS+='|\[sig-node\] (Deleted pods handling|Pod conditions managed by Kubelet|Kubelet Cgroup Manager|MirrorPod \(Pod Generation\)|DefaultProcMount|Terminate Pods) '
E2E_FOCUS+='|\[sig-node\] Mount recursive read-only .* when the runtime does not support recursive read-only mounts'
E2E_FOCUS+='|\[sig-network\] Pod Host IPs '
export FOCUS=${FOCUS:-$E2E_FOCUS}
export SKIP=${SKIP:-'\[Flaky\]|\[Serial\]|\[Disruptive\]|\[Slow\]'}
# The specs mostly wait: 6 processes on 2 cores end near the floor (Σ/6).
export PARALLELISM=${PARALLELISM:-6}
export REPORT_PATH=${REPORT_PATH:-$OUT/results}
MIN_SPECS=${MIN_SPECS:-120}

# The e2e selection holds at least this many of upstream's node suite's
# specs, from at least this many of its areas.
MIN_E2ENODE_SPECS=${MIN_E2ENODE_SPECS:-25}
MIN_E2ENODE_AREAS=${MIN_E2ENODE_AREAS:-6}

"$ROOT/build/build.sh" all
list=$("$OUT/bin/node-test" list --bin-dir "$OUT/bin")
n=$(tail -n 1 <<<"$list" | awk '{print $1}')
e2enode_specs=$(awk '$1 == "e2e_node" && $2 ~ /^\[/ {n++} END {print n + 0}' <<<"$list")
e2enode_areas=$(awk '$2 == "e2e_node" && $1 ~ /^[0-9]+$/ && NF > 2 {n++} END {print n + 0}' <<<"$list")
echo "==> e2e: $n specs selected, $e2enode_specs of them upstream's node suite's, from $e2enode_areas of its areas"
((n >= MIN_SPECS)) || die "the e2e selection has $n specs, fewer than $MIN_SPECS: the FOCUS regex no longer matches the pinned release"
((e2enode_specs >= MIN_E2ENODE_SPECS && e2enode_areas >= MIN_E2ENODE_AREAS)) ||
	die "the e2e selection has $e2enode_specs specs of upstream's node suite from $e2enode_areas areas, fewer than $MIN_E2ENODE_SPECS from $MIN_E2ENODE_AREAS"

# The run must load what its specs need: the carried test images but pause
# (the sandbox image) leave the node first. A spec needing an image the run
# did not load fails at its pull, since the node's registries are dead.
removed=()
for ref in $("$OUT/bin/node-test" images list | awk 'NR > 1 && $1 != "-" && $1 != "pause" {print $2}'); do
	"$OUT/bin/crictl" rmi "$ref" >/dev/null 2>&1 && removed+=("$ref")
done
echo "==> e2e: removed from the node before the run: ${removed[*]:-nothing}"

run_started=$(date +%s%N)
"$ROOT/build/run.sh"
# The run leaves none of its pods on the node: no sandbox and no container
# created while it ran is in what crictl pods and crictl ps -a list.
left_pods=$("$OUT/bin/crictl" pods -o json | jq --arg t "$run_started" '[.items[] | select((.createdAt | tonumber) >= ($t | tonumber))] | length')
left_containers=$("$OUT/bin/crictl" ps -a -o json | jq --arg t "$run_started" '[.containers[] | select((.createdAt | tonumber) >= ($t | tonumber))] | length')
((left_pods == 0 && left_containers == 0)) ||
	die "the run left $left_pods pod sandboxes and $left_containers containers on the node: $("$OUT/bin/crictl" pods; "$OUT/bin/crictl" ps -a)"
grep -q '^left on node no pod or container of the run' "$REPORT_PATH/summary.txt" ||
	die "summary.txt does not say the run left no pod on the node: $(grep '^left on node' "$REPORT_PATH/summary.txt")"
echo "e2e: crictl pods and crictl ps -a list nothing the run created"
kubelet_version=$("/proc/$(cat "$NODE_RUN/kubelet.pid")/exe" --version | awk '{print $2}')
# A kubelet older than the pinned release skips, with the reason, the specs
# of what it is too old to have; the pinned release's kubelet skips none,
# nor does any kubelet run with ALLOW_TOO_NEW=0.
[[ $kubelet_version == "$KUBE_VERSION" ]] && ALLOW_TOO_NEW=0
python3 - "$REPORT_PATH/junit_01.xml" "$n" "${ALLOW_TOO_NEW:-1}" "$REPORT_PATH/summary.txt" <<'PY'
import sys, xml.etree.ElementTree as ET
path, want, allow_too_new, summary = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]
cases = [c for c in ET.parse(path).getroot().iter("testcase") if c.get("classname") != "node-test setup"]
specs = [c for c in cases if c.get("name", "").startswith("[It]")]
bad = [c.get("name") for c in specs if c.find("failure") is not None or c.find("error") is not None]
ran = [c for c in specs if c.find("skipped") is None]
too_new = [c.get("name") for c in specs if c.find("skipped") is not None and any(why in (c.find("skipped").get("message") or "") for why in ("needs a kubelet v", "needs feature gate"))]
print(f"e2e: {len(ran)} specs ran, {len(bad)} failed, {len(too_new)} skipped as newer than the kubelet, junit {path}")
for name in too_new:
    print(f"    skipped: {name}")
if too_new and not allow_too_new:
    sys.exit(f"e2e: specs skipped as too new for a kubelet that should run them all: {too_new}")
if len(ran) + len(too_new) < want or bad:
    sys.exit(f"e2e: expected {want} passing specs: failed {bad}")
# The summary's headline counts the selected specs, apart from the checks and steps.
skipped = len(specs) - len(ran)
headline = open(summary).readline().rstrip("\n")
if headline != f"PASS: {len(ran)} passed, 0 failed, {skipped} skipped of {want} specs":
    sys.exit(f"e2e: the summary's headline {headline!r} does not count the {want} selected specs ({len(ran)} ran, {skipped} skipped)")
print(f"e2e: summary: {headline}")
PY

# The summary names what was certified: the kubelet the node runs.
grep -qx "kubelet *$kubelet_version" "$REPORT_PATH/summary.txt" ||
	die "summary.txt does not name the node's kubelet $kubelet_version: $(cat "$REPORT_PATH/summary.txt")"
grep -q "<th>kubelet</th><td>$kubelet_version</td>" "$REPORT_PATH/report.html" || die "report.html does not name the kubelet $kubelet_version"
commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
grep -q "^node-test .*(commit $commit)" "$REPORT_PATH/summary.txt" ||
	die "summary.txt does not name the commit node-test was built from, $commit: $(grep '^node-test' "$REPORT_PATH/summary.txt")"
echo "e2e: the summary names kubelet $kubelet_version and node-test's commit $commit"
check_host_logs "$REPORT_PATH"
# report.html draws the run's timeline: a bar for each phase, and for each
# spec that ran, on its parallel process's lane.
ran=$(jq '.specs.passed + .specs.failed' "$REPORT_PATH/summary.json")
bars=$(grep -Ec '<rect class="(passed|failed)"' "$REPORT_PATH/report.html" || true)
lanes=$(grep -Ec '>process [0-9]+</text>' "$REPORT_PATH/report.html" || true)
phases=$(grep -c '<rect class="phase"' "$REPORT_PATH/report.html" || true)
((bars >= ran && lanes > 1 && phases >= 5)) ||
	die "report.html's timeline draws $bars specs on $lanes process lanes and $phases phases; $ran specs ran on several processes"
echo "e2e: report.html's timeline draws the $ran specs that ran on $lanes process lanes, after $phases phases"
# The run names what it wrote, for the next run into the directory to clear.
for entry in junit_01.xml summary.txt timeline.jsonl specs.log controlplane kubelet.log; do
	grep -qx "$entry" "$REPORT_PATH/.node-test-run" || die "$REPORT_PATH/.node-test-run does not name $entry: $(cat "$REPORT_PATH/.node-test-run")"
done

# The images the run loaded were pinned for it only: they stay on the node,
# left to the kubelet's image garbage collection.
loaded=0
for ref in "${removed[@]}"; do
	line=$(ctr --address "$CONTAINERD_SOCK" -n k8s.io images ls "name==$ref" | tail -n +2)
	[[ -z $line ]] && continue
	[[ $line != *io.cri-containerd.pinned=pinned* ]] || die "$ref is still pinned after the run: $line"
	loaded=$((loaded + 1))
done
((loaded > 0 || ${#removed[@]} == 0)) || die "none of the images removed before the run is on the node after it: ${removed[*]}"
echo "e2e: the $loaded test images the run loaded are on the node, unpinned"
