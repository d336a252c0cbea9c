#!/usr/bin/env bash
# make e2e against the kubelet of the oldest Kubernetes release node-test
# certifies (KUBELET_VERSION, v1.34.4 by default), built from its module:
# every spec passes, but those of what that kubelet is too old to have,
# which skip and say so. Then the same kubelet with the feature gate of one
# such behaviour turned on: the conformance binary reads the kubelet's gates,
# and those specs run and pass. Then a release in between (MIDDLE_KUBELET_VERSION,
# v1.35.4 by default): every spec runs and passes, none skipped as too new;
# MIDDLE_KUBELET_VERSION=none leaves it out (CI runs the oldest release).
# The node goes back to the pinned release's kubelet afterwards, whatever the
# outcome.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=build/lib.sh
source "$ROOT/build/lib.sh"

OLDEST=${KUBELET_VERSION:-v1.34.4}
restore() {
	echo "==> e2e-kubelet-skew: back to the kubelet $KUBE_VERSION"
	KUBELET_VERSION=$KUBE_VERSION "$ROOT/build/node-up.sh" >/dev/null
}
trap restore EXIT
echo "==> e2e-kubelet-skew: the node runs the kubelet $OLDEST"
KUBELET_VERSION=$OLDEST "$ROOT/build/node-up.sh"
"$ROOT/build/e2e.sh"

# HostnameOverride is alpha in v1.34: a kubelet that turns it on has it, and
# the 7 hostname override specs must run and pass, none skipped as too new.
echo "==> e2e-kubelet-skew: the kubelet $OLDEST with feature gate HostnameOverride on"
KUBELET_VERSION=$OLDEST KUBELET_FEATURE_GATES=HostnameOverride=true "$ROOT/build/node-up.sh" >/dev/null
FOCUS='\[sig-node\] Override hostname of Pod' MIN_SPECS=7 MIN_E2ENODE_SPECS=0 MIN_E2ENODE_AREAS=0 ALLOW_TOO_NEW=0 "$ROOT/build/e2e.sh"

# The first release with HostnameOverride on by default, and ContainerRestartRules
# beta: the specs a v1.34 kubelet skips run here, and nothing is too new for it.
MIDDLE=${MIDDLE_KUBELET_VERSION:-v1.35.4}
if [[ $MIDDLE == none ]]; then
	echo "==> e2e-kubelet-skew: no release in between (MIDDLE_KUBELET_VERSION=none)"
	exit 0
fi
echo "==> e2e-kubelet-skew: the node runs the kubelet $MIDDLE"
KUBELET_VERSION=$MIDDLE "$ROOT/build/node-up.sh" >/dev/null
ALLOW_TOO_NEW=0 "$ROOT/build/e2e.sh"
