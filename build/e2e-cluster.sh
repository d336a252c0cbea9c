#!/usr/bin/env bash
# node-test cluster, for real, on a cluster of two nodes on this machine: the
# local control plane with RBAC serving its secure port (an existing cluster,
# its kubeconfig the command's), the local node and a second one (node-up
# NODES=2) pointed at it with a token, and the node-test image of this
# machine's arch in both nodes' runtimes (nothing is pulled). Both nodes are
# certified at once with a small selection (MirrorPod and KubeletEndpoints
# specs): both pass, each report and the aggregate come back (before that, an
# image no node can pull fails the node it was for, saying so). Interrupted
# while both nodes run their specs, it brings back each node's report of what
# ran. Then the second node's runtime defaults to the misconfigured handler:
# that node fails, the other passes. Each time nothing of node-test is left in
# the cluster. The node goes back to itself (one node, http://localhost:8080)
# afterwards.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=build/lib.sh
source "$ROOT/build/lib.sh"

TOKEN=node-test-e2e-cluster-token
DIR=$OUT/cluster
IMAGE=node-test.invalid/node-test:e2e
FOCUS=${FOCUS:-'MirrorPod|KubeletEndpoints'}
API=http://127.0.0.1:8080

restore() {
	echo "==> e2e-cluster: back to one node, its kubelet at http://localhost:8080"
	stop_pid cluster-controlplane
	"$ROOT/build/node-up.sh" >/dev/null
}
trap restore EXIT

"$ROOT/build/build.sh" all
mkdir -p "$DIR" "$NODE_RUN"
stop_pid cluster-controlplane
# A cluster of its own each time: the store of the last one goes.
rm -rf "$DIR/etcd"
echo "==> e2e-cluster: the cluster's control plane (RBAC, secure port 6443)"
start_daemon cluster-controlplane "$OUT/bin/node-test" controlplane --rbac --bearer-token "$TOKEN" \
	--kubeconfig "$DIR/kubeconfig" --wait-for-node=false --data-dir "$DIR/etcd"
wait_for "the cluster's API server" 120 curl -sf "$API/readyz"
echo "==> e2e-cluster: two nodes, their kubelets at https://127.0.0.1:6443"
NODES=2 API_SERVER=https://127.0.0.1:6443 API_TOKEN=$TOKEN "$ROOT/build/node-up.sh"
# shellcheck source=build/node2.sh
source "$ROOT/build/node2.sh"
NODE1=$(hostname | tr '[:upper:]' '[:lower:]')

echo "==> e2e-cluster: the node-test image ($HOST_ARCH) into both nodes' runtimes as $IMAGE"
"$ROOT/build/build.sh" cross "$HOST_ARCH"
"$ROOT/build/images.sh" build "$HOST_ARCH"
rm -rf "$DIR/oci"
"$OUT/bin/node-test" images oci --out "$DIR/oci" --context "$ROOT" "Dockerfile.$HOST_ARCH"
for sock in "$CONTAINERD_SOCK" "$NODE2_SOCK"; do
	tar -C "$DIR/oci" -cf - . | ctr --address "$sock" -n k8s.io images import --index-name "$IMAGE" - >/dev/null
	ctr --address "$sock" -n k8s.io images ls -q | grep -x "$IMAGE" >/dev/null || die "$IMAGE is not in the runtime at $sock"
done
wait_for "both nodes Ready" 120 sh -c "curl -sf $API/api/v1/nodes | python3 -c '
import json, sys
nodes = json.load(sys.stdin)[\"items\"]
ready = [n[\"metadata\"][\"name\"] for n in nodes if any(c[\"type\"] == \"Ready\" and c[\"status\"] == \"True\" for c in n[\"status\"][\"conditions\"])]
sys.exit(0 if {\"$NODE1\", \"$NODE2_NAME\"} <= set(ready) else 1)'"

# certify NAME WANT_RC FOCUS: node-test cluster on both nodes into
# $OUT/cluster-NAME; it must exit WANT_RC.
certify() {
	local name=$1 want=$2 focus=$3 rc
	RESULTS=$OUT/cluster-$name
	echo "==> e2e-cluster ($name): node-test cluster, FOCUS=$focus, results in $RESULTS"
	FOCUS=$focus PARALLELISM=3 "$OUT/bin/node-test" cluster --kubeconfig "$DIR/kubeconfig" --image "$IMAGE" --pull-policy Never \
		--api-server https://127.0.0.1:6443 --out "$RESULTS" --start-timeout 2m &
	pid=$!
	# The command's peak memory, following both nodes.
	hwm=0
	while kill -0 "$pid" 2>/dev/null; do
		h=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
		[[ -z $h ]] || hwm=$h
		sleep 0.5
	done
	set +e
	wait "$pid"
	rc=$?
	set -e
	echo "e2e-cluster ($name): node-test cluster's peak RSS $((hwm / 1024)) MiB, following 2 nodes"
	((rc == want)) || die "node-test cluster exited $rc ($name), want $want"
}

# expect NODE VERDICT: the node's report came back with that verdict, its
# specs in its JUnit; the aggregate has the node with that verdict.
expect() {
	python3 - "$RESULTS" "$@" <<'PY'
import json, os, sys, xml.etree.ElementTree as ET
out, node, verdict = sys.argv[1:]
fleet = json.load(open(os.path.join(out, "summary.json")))
row = [n for n in fleet["nodes"] if n["node"] == node]
if not row or row[0]["verdict"] != verdict:
    sys.exit(f"e2e-cluster: {node} in the aggregate: {row}, want {verdict}")
cases = list(ET.parse(os.path.join(out, node, "junit_01.xml")).getroot().iter("testcase"))
specs = [c for c in cases if c.get("name", "").startswith("[It]")]
failed = [c.get("name") for c in cases if c.find("failure") is not None]
if verdict == "PASS":
    if len(specs) < 4 or failed:
        sys.exit(f"e2e-cluster: {node} passed with {len(specs)} specs, failed {failed}: want 4 or more, none failed")
    for f in ("summary.txt", "report.html", "kubelet.log"):
        if not os.path.getsize(os.path.join(out, node, f)):
            sys.exit(f"e2e-cluster: {node}'s {f} is empty")
elif not failed:
    sys.exit(f"e2e-cluster: {node} failed with no failed testcase in its JUnit")
print(f"e2e-cluster: {node}: {verdict}, {len(specs)} specs, {len(failed)} failed testcases: {failed[:3]}")
PY
}

# nothing_left: no namespace, pod, ClusterRole or ClusterRoleBinding of
# node-test's, and no namespace of the specs, is left in the cluster.
nothing_left() {
	local what n
	for what in api/v1/namespaces?labelSelector=app.kubernetes.io/managed-by%3Dnode-test \
		api/v1/pods?labelSelector=app.kubernetes.io/managed-by%3Dnode-test \
		apis/rbac.authorization.k8s.io/v1/clusterroles?labelSelector=app.kubernetes.io/managed-by%3Dnode-test \
		apis/rbac.authorization.k8s.io/v1/clusterrolebindings?labelSelector=app.kubernetes.io/managed-by%3Dnode-test \
		api/v1/namespaces?labelSelector=e2e-framework; do
		n=$(curl -sf "$API/$what" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["items"]))')
		((n == 0)) || die "e2e-cluster: $n left in the cluster: $what"
	done
	echo "e2e-cluster: nothing of node-test left in the cluster"
}

echo "==> e2e-cluster: an image the nodes cannot pull"
set +e
"$OUT/bin/node-test" cluster --kubeconfig "$DIR/kubeconfig" --image node-test.invalid/missing:0 --nodes "kubernetes.io/hostname=$NODE1" \
	--api-server https://127.0.0.1:6443 --out "$OUT/cluster-unpullable" --start-timeout 2m
rc=$?
set -e
((rc == 1)) || die "node-test cluster with an image not pullable exited $rc, want 1"
grep -q "the node cannot pull the image node-test.invalid/missing:0" "$OUT/cluster-unpullable/$NODE1/junit_01.xml" ||
	die "the node's JUnit does not say its image could not be pulled: $(cat "$OUT/cluster-unpullable/$NODE1/junit_01.xml")"
nothing_left

certify healthy 0 "$FOCUS"
expect "$NODE1" PASS
expect "$NODE2_NAME" PASS
nothing_left

# Interrupted (SIGINT) while both nodes run their specs: each node's run is
# interrupted in turn and its report of what ran comes back, saying so; the
# command exits 1; nothing is left in the cluster, the specs' namespaces
# included.
echo "==> e2e-cluster: node-test cluster interrupted while both nodes run their specs"
RESULTS=$OUT/cluster-interrupted
FOCUS=MirrorPod PARALLELISM=3 "$OUT/bin/node-test" cluster --kubeconfig "$DIR/kubeconfig" --image "$IMAGE" --pull-policy Never \
	--api-server https://127.0.0.1:6443 --out "$RESULTS" --start-timeout 2m >"$OUT/cluster-interrupted.log" 2>&1 &
pid=$!
wait_for "both nodes running their specs" 300 sh -c "[ \$(grep -c 'msg=\"running specs\"' '$OUT/cluster-interrupted.log') = 2 ]" ||
	die "the nodes did not start their specs: $(tail -20 "$OUT/cluster-interrupted.log")"
sleep 10
start=$SECONDS
kill -INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
echo "e2e-cluster: node-test cluster ended $((SECONDS - start)) s after SIGINT, exit code $rc"
((rc == 1)) || die "node-test cluster interrupted exited $rc, want 1: $(tail -20 "$OUT/cluster-interrupted.log")"
python3 - "$RESULTS" "$NODE1" "$NODE2_NAME" <<'PY'
import json, os, sys, xml.etree.ElementTree as ET
out, nodes = sys.argv[1], sys.argv[2:]
fleet = json.load(open(os.path.join(out, "summary.json")))
for node in nodes:
    row = [n for n in fleet["nodes"] if n["node"] == node]
    if not row or row[0]["verdict"] != "FAIL" or not row[0].get("summary") or "interrupted" not in row[0].get("reason", ""):
        sys.exit(f"e2e-cluster: {node} interrupted, in the aggregate: {row}; want FAIL with its own summary and the interrupt as reason")
    cases = list(ET.parse(os.path.join(out, node, "junit_01.xml")).getroot().iter("testcase"))
    said = [c.get("name") for c in cases if c.find("failure") is not None and not c.get("name", "").startswith("[It]")
            and "interrupted" in (c.find("failure").get("message") or "") + (c.find("failure").text or "")]
    if not said:
        sys.exit(f"e2e-cluster: {node}'s own JUnit has no failed step saying it was interrupted: {[c.get('name') for c in cases][:10]}")
    specs = [c for c in cases if c.get("name", "").startswith("[It]")]
    if not specs:
        sys.exit(f"e2e-cluster: {node}'s own JUnit lists no spec")
    print(f"e2e-cluster: {node} interrupted: its own report came back, {len(specs)} specs, {said[0]!r} says it was interrupted")
PY
nothing_left

echo "==> e2e-cluster: the second node's runtime defaults to the misconfigured handler"
NODES=2 NODE2_RUNTIME_HANDLER=misconfigured API_SERVER=https://127.0.0.1:6443 API_TOKEN=$TOKEN "$ROOT/build/node-up.sh" >/dev/null
# The first node's part of it, KubeletEndpoints alone: it passes beside the
# broken one.
certify broken 1 KubeletEndpoints
expect "$NODE1" PASS
expect "$NODE2_NAME" FAIL
nothing_left
