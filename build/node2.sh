# The local node's second node (node-up NODES=2), sourced by build/node-up.sh
# and build/node-down.sh: a kubelet and a containerd of its own beside the
# first node's, sharing the kernel, the network namespace and the API server.
# What two kubelets on one machine must not share is its own: containerd's
# root, state and socket; the kubelet's root directory, ports, cgroup root,
# pod log directory and static pod directory; the CNI bridge and pod CIDR.
# shellcheck shell=bash

NODE2_NAME=${NODE2_NAME:-$(hostname | tr '[:upper:]' '[:lower:]')-2}
NODE2_DIR=$NODE_DIR/node-2
NODE2_SOCK=/run/node-test-node-2/containerd.sock
NODE2_ROOT=/var/lib/node-test-node-2
NODE2_CGROUP=node-test-node-2
NODE2_POD_CIDR=10.89.0.0/16

node2_containerd() {
	mkdir -p "$NODE2_DIR/cni" "$NODE2_DIR/manifests" "$NODE2_ROOT" "$(dirname "$NODE2_SOCK")"
	[[ -s $NODE_DIR/containerd.toml ]] || die "the first node's containerd config is missing: node-up writes it first"
	# The first node's config, with this node's paths and default handler.
	sed -e "s|^root = .*|root = \"$NODE2_ROOT/containerd\"|" \
		-e "s|^state = .*|state = \"/run/node-test-node-2/containerd\"|" \
		-e "s|^  address = .*|  address = \"$NODE2_SOCK\"|" \
		-e "s|default_runtime_name = .*|default_runtime_name = \"$NODE2_RUNTIME_HANDLER\"|" \
		-e "s|conf_dir = .*|conf_dir = \"$NODE2_DIR/cni\"|" \
		-e "s|^# Written by .*|# Written by node-test's build/node-up.sh for the local node's second node.|" \
		"$NODE_DIR/containerd.toml" >"$NODE2_DIR/containerd.toml.new"
	cni_conflist node-test-2 nt1 "$NODE2_POD_CIDR" >"$NODE2_DIR/cni/10-node-test-2.conflist"
	cp /etc/cni/net.d/99-loopback.conf "$NODE2_DIR/cni/"
	local changed=0
	cmp -s "$NODE2_DIR/containerd.toml.new" "$NODE2_DIR/containerd.toml" || changed=1
	mv "$NODE2_DIR/containerd.toml.new" "$NODE2_DIR/containerd.toml"
	if running containerd-2 && ((changed == 0)); then
		echo "containerd-2 already running (pid $(cat "$NODE_RUN/containerd-2.pid"))"
		return 0
	fi
	stop_pid containerd-2
	# The socket on the command line too: node-test finds the node's runtime
	# among the host's processes by it.
	start_daemon containerd-2 containerd --config "$NODE2_DIR/containerd.toml" --address "$NODE2_SOCK"
	wait_for "the second node's containerd socket" 30 ctr --address "$NODE2_SOCK" version
}

node2_images() {
	"$ROOT/build/images.sh" build
	"$OUT/bin/node-test" images load --rootfs / --dir "$OUT/images" --socket "$NODE2_SOCK" --only pause,busybox
}

# node2_cgroup makes the second kubelet's cgroup root in every cgroup v1
# hierarchy (the kubelet requires it to exist), with the cpuset of its
# parent; on cgroup v2, in the unified hierarchy.
node2_cgroup() {
	local d
	if [[ -f /sys/fs/cgroup/cgroup.controllers ]]; then
		mkdir -p "/sys/fs/cgroup/$NODE2_CGROUP"
		return 0
	fi
	for d in /sys/fs/cgroup/*/; do
		[[ -d $d && $d != */unified/ ]] || continue
		mkdir -p "$d$NODE2_CGROUP"
		if [[ -f ${d}cpuset.cpus ]]; then
			cat "${d}cpuset.cpus" >"$d$NODE2_CGROUP/cpuset.cpus"
			cat "${d}cpuset.mems" >"$d$NODE2_CGROUP/cpuset.mems"
		fi
	done
}

node2_kubelet() {
	node2_cgroup
	mkdir -p "$NODE2_ROOT/kubelet" "/var/log/$NODE2_CGROUP/pods"
	sed -e "s|^port: .*|port: 10260|" -e "s|^readOnlyPort: .*|readOnlyPort: 10265|" -e "s|^healthzPort: .*|healthzPort: 10258|" \
		-e "s|^containerRuntimeEndpoint: .*|containerRuntimeEndpoint: unix://$NODE2_SOCK|" \
		-e "s|^staticPodPath: .*|staticPodPath: $NODE2_DIR/manifests|" \
		-e "s|^# KubeletConfiguration of the local node.*|# KubeletConfiguration of the local node's second node.|" \
		"$NODE_DIR/kubelet-config.yaml" >"$NODE2_DIR/kubelet-config.yaml"
	cat >>"$NODE2_DIR/kubelet-config.yaml" <<EOF
cgroupRoot: /$NODE2_CGROUP
podLogsDir: /var/log/$NODE2_CGROUP/pods
EOF
	local want
	want=$( (cat "$NODE2_DIR/kubelet-config.yaml" "$NODE_DIR/kubeconfig" "$KUBELET_BIN" && echo "$NODE2_NAME") | sha256sum | cut -d' ' -f1)
	if running kubelet-2 && [[ $(cat "$NODE_RUN/kubelet-2.sum" 2>/dev/null) == "$want" ]]; then
		echo "kubelet-2 already running (pid $(cat "$NODE_RUN/kubelet-2.pid"))"
	else
		stop_pid kubelet-2
		start_daemon kubelet-2 "$KUBELET_BIN" --config="$NODE2_DIR/kubelet-config.yaml" --kubeconfig="$NODE_DIR/kubeconfig" \
			--root-dir="$NODE2_ROOT/kubelet" --hostname-override="$NODE2_NAME" --v=2
		echo "$want" >"$NODE_RUN/kubelet-2.sum"
	fi
	wait_for "the second kubelet's healthz" 60 curl -sf http://127.0.0.1:10258/healthz
}

# node2_down stops the second node, its pods first; nothing when it is not up.
node2_down() {
	stop_pid kubelet-2
	if running containerd-2; then
		local crictl=(crictl --runtime-endpoint "unix://$NODE2_SOCK" --timeout 20s) pods
		[[ -x $OUT/bin/crictl ]] && crictl[0]=$OUT/bin/crictl
		pods=$("${crictl[@]}" pods -q 2>/dev/null || true)
		if [[ -n $pods ]]; then
			echo "removing $(wc -w <<<"$pods") pod(s) of the second node"
			"${crictl[@]}" stopp $pods >/dev/null || true
			"${crictl[@]}" rmp -f $pods >/dev/null || true
		fi
	fi
	stop_pid containerd-2
}
