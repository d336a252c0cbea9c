#!/usr/bin/env bash
# Stops what build/node-up.sh started, by pid, after removing the pods and
# containers the node ran. Leaves packages, configs and images in place so the
# next node-up is fast.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=build/lib.sh
source "$ROOT/build/lib.sh"

mkdir -p "$NODE_RUN"
# shellcheck source=build/node2.sh
source "$ROOT/build/node2.sh"
node2_down
stop_pid kubelet

if running containerd; then
	crictl=(crictl --runtime-endpoint "unix://$CONTAINERD_SOCK" --timeout 20s)
	[[ -x $OUT/bin/crictl ]] && crictl[0]=$OUT/bin/crictl
	if running dockerd; then
		ids=$(docker ps -aq)
		if [[ -n $ids ]]; then
			docker rm -f $ids >/dev/null
			echo "removed $(wc -w <<<"$ids") docker container(s)"
		fi
	fi
	pods=$("${crictl[@]}" pods -q 2>/dev/null || true)
	if [[ -n $pods ]]; then
		echo "removing $(wc -w <<<"$pods") pod(s)"
		"${crictl[@]}" stopp $pods >/dev/null || true
		"${crictl[@]}" rmp -f $pods >/dev/null || true
	fi
fi
stop_pid dockerd
stop_pid misconfigured-cri
stop_pid containerd
stop_pid journald

# Shims of containers the node ran outlive containerd: stop those left.
for pid in $(pgrep -f 'containerd-shim-runc-v2 -namespace (k8s.io|moby)' || true); do
	echo "stopping leftover shim $pid"
	kill -TERM "$pid" 2>/dev/null || true
done
echo "node-down: the local node is stopped"
