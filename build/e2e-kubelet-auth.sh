#!/usr/bin/env bash
# The kubelet's API secured as kubeadm secures it (KUBELET_AUTH=x509 in
# node-up: no anonymous requests, client certificates of a cluster CA,
# webhook authorization), with the kubelet's own client certificate of that
# CA in its --cert-dir. The specs that reach the kubelet through the API
# server (logs, exec, ephemeral containers, its /configz and /stats) must
# pass: the control plane presents that certificate. Then, with the
# certificate out of the way, the run must fail within a minute of the
# control plane's start, naming the fix, instead of waiting out the kubelet
# sync. The node goes back to anonymous authentication afterwards, whatever
# the outcome.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=build/lib.sh
source "$ROOT/build/lib.sh"

CURRENT=/var/lib/kubelet/pki/kubelet-client-current.pem
HIDDEN=$NODE_DIR/kubelet-client-current.pem.hidden
restore() {
	[[ -L $HIDDEN ]] && mv "$HIDDEN" "$CURRENT"
	echo "==> e2e-kubelet-auth: back to anonymous authentication"
	KUBELET_AUTH=anonymous "$ROOT/build/node-up.sh" >/dev/null
}
trap restore EXIT
echo "==> e2e-kubelet-auth: the kubelet's API takes client certificates of a cluster CA, no anonymous requests"
KUBELET_AUTH=x509 "$ROOT/build/node-up.sh"

export REPORT_PATH=${REPORT_PATH:-$OUT/results}
export FOCUS='\[sig-node\] KubeletEndpoints|\[sig-node\] Pods should support (retrieving logs from the container|remote command execution) over websockets'
FOCUS+='|\[sig-node\] Kubelet when scheduling a busybox command in a pod should print the output to logs'
FOCUS+='|\[sig-storage\] EmptyDir volumes pod should support shared volumes between containers|\[sig-node\] Ephemeral Containers'
MIN_SPECS=10 MIN_E2ENODE_SPECS=0 MIN_E2ENODE_AREAS=0 "$ROOT/build/e2e.sh"
grep -q 'control plane presents /var/lib/kubelet/pki/kubelet-client-current.pem' "$REPORT_PATH/junit_01.xml" ||
	die "the report does not say the control plane presented the kubelet's client certificate"
echo "e2e-kubelet-auth: the control plane presented the kubelet's own client certificate"

echo "==> e2e-kubelet-auth: no certificate the kubelet trusts on the node"
mv "$CURRENT" "$HIDDEN"
refused=$OUT/results-refused
set +e
REPORT_PATH=$refused FOCUS='\[sig-node\] Pods should support retrieving logs' "$ROOT/build/run.sh"
rc=$?
set -e
mv "$HIDDEN" "$CURRENT"
((rc == 2)) || die "the run exited $rc, not 2 (setup error)"
python3 - "$refused/junit_01.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
cases = {c.get("name"): c for c in ET.parse(sys.argv[1]).getroot().iter("testcase")}
def failure(name):
    c = cases.get(name)
    f = None if c is None else c.find("failure")
    if f is None:
        sys.exit(f"e2e-kubelet-auth: testcase {name!r} did not fail")
    return (f.get("message") or "") + (f.text or "")
check = failure("[kubelet] control plane access to the kubelet")
for want in ("refuses anonymous requests", "kubelet-client-current.pem: no such file", "--kubelet-client-cert"):
    if want not in check:
        sys.exit(f"e2e-kubelet-auth: the check does not say {want!r}: {check}")
sync = failure("kubelet sync")
for want in ("refuses the local control plane's requests to its API", "--kubelet-client-cert"):
    if want not in sync:
        sys.exit(f"e2e-kubelet-auth: the kubelet sync failure does not say {want!r}: {sync}")
# It stops at the first refusal instead of waiting out its 3 minutes.
took = float(cases["kubelet sync"].get("time"))
if took > 90:
    sys.exit(f"e2e-kubelet-auth: the kubelet sync took {took:.0f}s to give up on a kubelet that refuses it")
print(f"e2e-kubelet-auth: refused as it should be after {took:.0f}s of kubelet sync; the check and the kubelet sync name the fix")
PY
