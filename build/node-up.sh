#!/usr/bin/env bash
# Brings up the local node on this Debian 12 machine, as root: containerd +
# runc + CNI from apt, a kubelet built from the pinned Kubernetes module whose
# API server is http://localhost:8080 (served by `node-test controlplane` or
# `node-test run`), and the pause and busybox images built offline. With
# WITH_DOCKER=1, dockerd too, sharing that containerd. KUBELET_VERSION=v1.34.4
# (say) runs the kubelet of that release instead, to certify an older node;
# KUBELET_FEATURE_GATES=Name=true,Other=false sets the kubelet's featureGates.
# KUBELET_AUTH=x509 secures the kubelet's API as kubeadm does (no anonymous
# requests, client certificates of a cluster CA, webhook authorization) and
# leaves the kubelet a client certificate of that CA in its --cert-dir, as a
# node that joined a cluster has; the default, anonymous, lets anyone in.
# KUBELET_LOG=journal runs the kubelet with its output in the journal, as a
# systemd service's is (systemd-journald is started for it), instead of in
# _output/node/logs/kubelet.log. RUNTIME_HANDLER=misconfigured makes the
# runtime's default handler the misconfigured one (build/misconfigured-runc):
# a node broken on purpose, for every pod, sandboxes included;
# RUNTIME_HANDLER=noenv one that drops the environment pods give their
# containers (build/noenv-runc). The runtime also has a "slow" handler
# (build/slow-runc), 3 s slower to create each container, for pods that ask
# for it. KUBELET_MAX_PODS=20 (say) sets the kubelet's maxPods; default 110.
# CRI_PROXY=misconfigured puts a CRI endpoint broken on purpose between the
# kubelet and containerd (cmd/misconfigured-cri): it forwards every call but
# answers ReopenContainerLog itself, so containerd writes on into the log
# file the kubelet rotated away; the default, none, has the kubelet talk to
# containerd.
# API_SERVER=https://127.0.0.1:6443 API_TOKEN=<token> points the kubelet at
# another API server, as upstream's node suite serves it (its own TLS
# certificate, not checked; the token as the kubelet's credential), instead
# of http://localhost:8080.
# NODES=2 adds a second node on this machine, registered as NODE2_NAME
# (default <hostname>-2) with the same API server: a kubelet and a containerd
# of its own (state, socket, root directory, ports 10260/10265/10258, cgroup
# root, pod log directory, static pod directory, CNI bridge and pod CIDR), so
# that a cluster of two nodes can be certified at once; NODE2_RUNTIME_HANDLER
# (runc, misconfigured or noenv) is its runtime's default handler.
#
# Safe to run again: each step checks what is already there. Everything it
# starts has a pid file under _output/node/run/; build/node-down.sh stops it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=build/lib.sh
source "$ROOT/build/lib.sh"

WITH_DOCKER=${WITH_DOCKER:-0}
KUBELET_VERSION=${KUBELET_VERSION:-$KUBE_VERSION}
KUBELET_FEATURE_GATES=${KUBELET_FEATURE_GATES:-}
KUBELET_AUTH=${KUBELET_AUTH:-anonymous}
KUBELET_LOG=${KUBELET_LOG:-file}
RUNTIME_HANDLER=${RUNTIME_HANDLER:-runc}
KUBELET_MAX_PODS=${KUBELET_MAX_PODS:-110}
CRI_PROXY=${CRI_PROXY:-none}
CRI_PROXY_SOCK=/run/node-test/misconfigured-cri.sock
API_SERVER=${API_SERVER:-http://localhost:8080}
NODES=${NODES:-1}
NODE2_RUNTIME_HANDLER=${NODE2_RUNTIME_HANDLER:-runc}
API_TOKEN=${API_TOKEN:-}
# The kubelet's default --cert-dir, where kubeadm's TLS bootstrap leaves its
# client certificate.
KUBELET_CERT_DIR=/var/lib/kubelet/pki
CLUSTER_PKI=$NODE_DIR/cluster-pki
KUBELET_BIN=$OUT/bin/kubelet
[[ $KUBELET_VERSION == "$KUBE_VERSION" ]] || KUBELET_BIN=$OUT/kubelet/$KUBELET_VERSION/bin/kubelet
SANDBOX_IMAGE=registry.k8s.io/pause:3.10.2
POD_CIDR=10.88.0.0/16
DEAD_REGISTRY=http://127.0.0.1:9

[[ $KUBELET_AUTH == anonymous || $KUBELET_AUTH == x509 ]] ||
	die "KUBELET_AUTH: $KUBELET_AUTH is not anonymous or x509"
[[ $KUBELET_LOG == file || $KUBELET_LOG == journal ]] ||
	die "KUBELET_LOG: $KUBELET_LOG is not file or journal"
[[ $RUNTIME_HANDLER == runc || $RUNTIME_HANDLER == misconfigured || $RUNTIME_HANDLER == noenv ]] ||
	die "RUNTIME_HANDLER: $RUNTIME_HANDLER is not runc, misconfigured or noenv"
[[ $CRI_PROXY == none || $CRI_PROXY == misconfigured ]] || die "CRI_PROXY: $CRI_PROXY is not none or misconfigured"
[[ $API_SERVER =~ ^https?://[^/]+$ ]] || die "API_SERVER: $API_SERVER is not http(s)://host:port"
[[ $API_SERVER == https://* || -z $API_TOKEN ]] || die "API_TOKEN: a token is only sent to an https API_SERVER"
[[ $API_TOKEN =~ ^[A-Za-z0-9._-]*$ ]] || die "API_TOKEN: a bearer token is letters, digits, '.', '_' and '-'"
[[ $KUBELET_MAX_PODS =~ ^[1-9][0-9]*$ ]] || die "KUBELET_MAX_PODS: $KUBELET_MAX_PODS is not a positive number of pods"
[[ $NODES == 1 || $NODES == 2 ]] || die "NODES: $NODES is not 1 or 2"
[[ $NODE2_RUNTIME_HANDLER == runc || $NODE2_RUNTIME_HANDLER == misconfigured || $NODE2_RUNTIME_HANDLER == noenv ]] ||
	die "NODE2_RUNTIME_HANDLER: $NODE2_RUNTIME_HANDLER is not runc, misconfigured or noenv"
[[ $(id -u) == 0 ]] || die "node-up must run as root (it installs packages and starts containerd and the kubelet)"
mkdir -p "$NODE_LOGS" "$NODE_RUN" "$STATIC_POD_DIR" "$OUT/bin"

install_packages() {
	local pkgs=(containerd runc containernetworking-plugins iptables conntrack socat busybox-static
		ethtool iproute2 util-linux mount qemu-user-static jq libcap2-bin openssl
		# A real browser, headless, for the test of report.html.
		chromium
		# Debian's source tools and compilers for every arch: the busybox image's busybox is built from source.
		dpkg-dev make gcc libc6-dev gcc-arm-linux-gnueabihf libc6-dev-armhf-cross gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
	[[ $WITH_DOCKER == 1 ]] && pkgs+=(docker.io)
	local missing=()
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if ((${#missing[@]} == 0)); then
		echo "all packages present"
		return 0
	fi
	echo "installing: ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

write_containerd_config() {
	mkdir -p /etc/containerd
	cat >"$NODE_DIR/containerd.toml" <<EOF
# Written by node-test's build/node-up.sh for the local node.
version = 2
root = "/var/lib/containerd"
state = "/run/containerd"

[grpc]
  address = "$CONTAINERD_SOCK"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$SANDBOX_IMAGE"
  # This machine lacks CAP_SYS_RESOURCE: negative oom_score_adj would fail.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "$RUNTIME_HANDLER"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
    # The handler upstream's node suite expects the node to have (its
    # PodOverhead spec runs a pod with a RuntimeClass of it): plain runc.
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.test-handler]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.test-handler.options]
        SystemdCgroup = false
    # A handler that ignores what pods ask (build/misconfigured-runc): the
    # tests prove with it that node-test's own specs fail on a broken node.
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.misconfigured]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.misconfigured.options]
        BinaryName = "$ROOT/build/misconfigured-runc"
        SystemdCgroup = false
    # A handler that drops the environment pods give their containers
    # (build/noenv-runc).
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.noenv]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.noenv.options]
        BinaryName = "$ROOT/build/noenv-runc"
        SystemdCgroup = false
    # A handler 3 s slower to create each container (build/slow-runc).
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.slow]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.slow.options]
        BinaryName = "$ROOT/build/slow-runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "/etc/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "/etc/containerd/certs.d"
EOF
	# Every registry points at a dead loopback port: nothing is ever pulled,
	# and a missing image fails at once instead of hanging.
	local reg
	for reg in _default docker.io registry.k8s.io gcr.io k8s.gcr.io quay.io ghcr.io; do
		mkdir -p "/etc/containerd/certs.d/$reg"
		cat >"/etc/containerd/certs.d/$reg/hosts.toml" <<EOF
server = "$DEAD_REGISTRY"

[host."$DEAD_REGISTRY"]
  capabilities = ["pull", "resolve"]
EOF
	done
	if ! cmp -s "$NODE_DIR/containerd.toml" /etc/containerd/config.toml; then
		cp "$NODE_DIR/containerd.toml" /etc/containerd/config.toml
		touch "$NODE_RUN/containerd.config-changed"
	fi
	cat >/etc/crictl.yaml <<EOF
runtime-endpoint: unix://$CONTAINERD_SOCK
image-endpoint: unix://$CONTAINERD_SOCK
timeout: 10
EOF
}

# cni_conflist NAME BRIDGE CIDR: the CNI config of a node's pod network, a
# bridge of its own and host-local addresses of CIDR.
cni_conflist() {
	cat <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$1",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$2",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$3"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
}

write_cni_config() {
	mkdir -p /etc/cni/net.d
	cni_conflist node-test nt0 "$POD_CIDR" >/etc/cni/net.d/10-node-test.conflist
	cat >/etc/cni/net.d/99-loopback.conf <<EOF
{"cniVersion": "1.0.0", "name": "lo", "type": "loopback"}
EOF
	sysctl -qw net.ipv4.ip_forward=1 || true
}

build_binaries() {
	"$ROOT/build/build.sh" node
	[[ $KUBELET_VERSION == "$KUBE_VERSION" ]] || "$ROOT/build/build.sh" kubelet "$KUBELET_VERSION"
}

start_containerd() {
	if running containerd && [[ ! -e $NODE_RUN/containerd.config-changed ]]; then
		echo "containerd already running (pid $(cat "$NODE_RUN/containerd.pid"))"
		return 0
	fi
	stop_pid containerd
	if [[ -S $CONTAINERD_SOCK ]] && ctr --address "$CONTAINERD_SOCK" version >/dev/null 2>&1; then
		die "a containerd not started by node-up serves $CONTAINERD_SOCK: stop it first (node-up runs its own with $NODE_DIR/containerd.toml)"
	fi
	rm -f "$NODE_RUN/containerd.config-changed"
	start_daemon containerd containerd --config /etc/containerd/config.toml
	wait_for "containerd socket" 30 ctr --address "$CONTAINERD_SOCK" version
}

start_cri_proxy() {
	if [[ $CRI_PROXY == none ]]; then
		stop_pid misconfigured-cri
		echo "the kubelet talks to containerd at $CONTAINERD_SOCK"
		return 0
	fi
	if running misconfigured-cri; then
		echo "misconfigured-cri already running (pid $(cat "$NODE_RUN/misconfigured-cri.pid"))"
		return 0
	fi
	start_daemon misconfigured-cri "$OUT/bin/misconfigured-cri" "$CRI_PROXY_SOCK" "$CONTAINERD_SOCK"
	wait_for "the misconfigured CRI endpoint" 30 "$OUT/bin/crictl" --runtime-endpoint "unix://$CRI_PROXY_SOCK" version
}

load_images() {
	"$ROOT/build/images.sh" load pause busybox
	wait_for "CRI to report $SANDBOX_IMAGE" 30 "$OUT/bin/crictl" inspecti "$SANDBOX_IMAGE"
}

# kubelet_auth_config prints the kubelet config's authentication and
# authorization for KUBELET_AUTH.
kubelet_auth_config() {
	if [[ $KUBELET_AUTH == anonymous ]]; then
		cat <<EOF
authentication:
  anonymous:
    enabled: true
  webhook:
    enabled: false
authorization:
  mode: AlwaysAllow
EOF
		return 0
	fi
	cat <<EOF
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: $CLUSTER_PKI/ca.crt
authorization:
  mode: Webhook
EOF
}

# write_kubelet_pki makes a cluster CA and, signed by it, the kubelet's
# client certificate (CN system:node:<hostname>, O system:nodes) as
# kubelet-client-current.pem in its cert dir: an absolute symlink to a dated
# file holding certificate and key, as TLS bootstrapping leaves it.
write_kubelet_pki() {
	[[ $KUBELET_AUTH == x509 ]] || return 0
	mkdir -p "$CLUSTER_PKI" "$KUBELET_CERT_DIR"
	if [[ ! -s $CLUSTER_PKI/ca.crt || ! -s $CLUSTER_PKI/ca.key ]]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=node-test-cluster-ca" \
			-keyout "$CLUSTER_PKI/ca.key" -out "$CLUSTER_PKI/ca.crt" 2>/dev/null
	fi
	local name pem tmp
	name=$(hostname | tr '[:upper:]' '[:lower:]')
	pem=$KUBELET_CERT_DIR/kubelet-client-node-test.pem
	if [[ -s $pem ]] && openssl verify -CAfile "$CLUSTER_PKI/ca.crt" "$pem" >/dev/null 2>&1 &&
		openssl x509 -in "$pem" -noout -checkend 86400 >/dev/null; then
		echo "kubelet client certificate present ($pem)"
	else
		tmp=$(mktemp -d)
		openssl req -newkey rsa:2048 -nodes -subj "/O=system:nodes/CN=system:node:$name" \
			-keyout "$tmp/key.pem" -out "$tmp/csr.pem" 2>/dev/null
		printf 'keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n' >"$tmp/ext"
		openssl x509 -req -in "$tmp/csr.pem" -CA "$CLUSTER_PKI/ca.crt" -CAkey "$CLUSTER_PKI/ca.key" \
			-CAcreateserial -days 365 -extfile "$tmp/ext" -out "$tmp/cert.pem" 2>/dev/null
		cat "$tmp/cert.pem" "$tmp/key.pem" >"$pem"
		chmod 0600 "$pem"
		rm -rf "$tmp"
	fi
	ln -sfn "$pem" "$KUBELET_CERT_DIR/kubelet-client-current.pem"
}

write_kubelet_config() {
	cat >"$NODE_DIR/kubelet-config.yaml" <<EOF
# KubeletConfiguration of the local node, fit for node conformance.
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 0.0.0.0
port: 10250
readOnlyPort: 10255
healthzBindAddress: 127.0.0.1
healthzPort: 10248
$(kubelet_auth_config)
containerRuntimeEndpoint: unix://$([[ $CRI_PROXY == misconfigured ]] && echo "$CRI_PROXY_SOCK" || echo "$CONTAINERD_SOCK")
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
oomScoreAdj: 0
staticPodPath: $STATIC_POD_DIR
fileCheckFrequency: 5s
syncFrequency: 10s
serializeImagePulls: false
resolvConf: ""
enforceNodeAllocatable: []
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  imagefs.available: 1%
  nodefs.inodesFree: 1%
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
maxPods: $KUBELET_MAX_PODS
EOF
	if [[ -n $KUBELET_FEATURE_GATES ]]; then
		echo "featureGates:" >>"$NODE_DIR/kubelet-config.yaml"
		local gate
		for gate in ${KUBELET_FEATURE_GATES//,/ }; do
			[[ $gate =~ ^[A-Za-z0-9]+=(true|false)$ ]] ||
				die "KUBELET_FEATURE_GATES: $gate is not Name=true or Name=false"
			echo "  ${gate%%=*}: ${gate#*=}" >>"$NODE_DIR/kubelet-config.yaml"
		done
	fi
	local tls= user='{}'
	if [[ $API_SERVER == https://* ]]; then
		tls=$'\n    insecure-skip-tls-verify: true'
		[[ -z $API_TOKEN ]] || user="{token: $API_TOKEN}"
	fi
	cat >"$NODE_DIR/kubeconfig" <<EOF
# The node's API server: $API_SERVER.
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: $API_SERVER$tls
users:
- name: kubelet
  user: $user
contexts:
- name: local
  context:
    cluster: local
    user: kubelet
current-context: local
EOF
}

start_journald() {
	if running journald; then
		echo "systemd-journald already running (pid $(cat "$NODE_RUN/journald.pid"))"
		return
	fi
	mkdir -p /run/systemd/journal
	start_daemon journald /lib/systemd/systemd-journald
	# The socket of an earlier journald may still be there: wait until one
	# takes a stream.
	wait_for "journald's stream socket" 30 systemd-cat --identifier=node-up true
}

start_kubelet() {
	local want
	want=$( (cat "$NODE_DIR/kubelet-config.yaml" "$NODE_DIR/kubeconfig" "$KUBELET_BIN" && echo "$KUBELET_LOG") | sha256sum | cut -d' ' -f1)
	if running kubelet && [[ $(cat "$NODE_RUN/kubelet.sum" 2>/dev/null) == "$want" ]]; then
		echo "kubelet already running (pid $(cat "$NODE_RUN/kubelet.pid"))"
	else
		stop_pid kubelet
		local kubelet=("$KUBELET_BIN" --config="$NODE_DIR/kubelet-config.yaml" --kubeconfig="$NODE_DIR/kubeconfig" --v=2)
		if [[ $KUBELET_LOG == journal ]]; then
			start_journald
			# systemd-cat execs the kubelet with its output a journal stream.
			start_daemon kubelet systemd-cat --identifier=kubelet "${kubelet[@]}"
		else
			start_daemon kubelet "${kubelet[@]}"
		fi
		echo "$KUBELET_LOG" >"$NODE_RUN/kubelet.log-to"
		echo "$want" >"$NODE_RUN/kubelet.sum"
	fi
	wait_for "kubelet healthz" 60 curl -sf http://127.0.0.1:10248/healthz
}

make_root_shared() {
	# systemd makes / a shared mount at boot, and mount propagation needs it
	# (a volume's HostToContainer or Bidirectional): the runtime refuses
	# them on a private /. This machine boots without systemd.
	if [[ $(findmnt -no PROPAGATION /) == shared ]]; then
		echo "/ is a shared mount already"
		return
	fi
	mount --make-rshared /
}

install_runc_wrapper() {
	# docker --privileged asks for every capability; this machine's bounding
	# set lacks CAP_SYS_RESOURCE, so runc would fail to apply them. The
	# wrapper drops from the bundle whatever the bounding set does not hold.
	local caps
	caps=$(capsh --decode="$(awk '/^CapBnd/ {print $2}' /proc/self/status)" | sed 's/.*=//' | tr 'a-z' 'A-Z')
	cat >"$NODE_DIR/runc-wrapper" <<EOF
#!/bin/sh
# runc for dockerd on the local node: keeps only capabilities in the bounding set.
allowed='$(echo "$caps" | tr ',' '\n' | jq -R . | jq -sc .)'
bundle=
prev=
for a in "\$@"; do
  case "\$prev" in --bundle|-b) bundle=\$a ;; esac
  case "\$a" in --bundle=*) bundle=\${a#--bundle=} ;; esac
  prev=\$a
done
if [ -n "\$bundle" ] && [ -f "\$bundle/config.json" ]; then
  jq --argjson ok "\$allowed" '
    if .process.capabilities then
      .process.capabilities |= with_entries(.value |= map(select(. as \$c | \$ok | index(\$c))))
    else . end' "\$bundle/config.json" >"\$bundle/config.json.nt" && mv "\$bundle/config.json.nt" "\$bundle/config.json"
fi
exec runc "\$@"
EOF
	chmod 0755 "$NODE_DIR/runc-wrapper"
}

start_dockerd() {
	if running dockerd; then
		echo "dockerd already running (pid $(cat "$NODE_RUN/dockerd.pid"))"
		return 0
	fi
	start_daemon dockerd dockerd --containerd="$CONTAINERD_SOCK" --storage-driver=overlay2 \
		--exec-opt native.cgroupdriver=cgroupfs --add-runtime "nt-runc=$NODE_DIR/runc-wrapper" \
		--default-runtime nt-runc --host unix:///var/run/docker.sock
	wait_for "docker socket" 30 docker version
}

step packages install_packages
step shared-root make_root_shared
step containerd-config write_containerd_config
step cni-config write_cni_config
step binaries build_binaries
step containerd start_containerd
step images load_images
step cri-proxy start_cri_proxy
step kubelet-pki write_kubelet_pki
step kubelet-config write_kubelet_config
step kubelet start_kubelet
if [[ $WITH_DOCKER == 1 ]]; then
	step runc-wrapper install_runc_wrapper
	step dockerd start_dockerd
fi
# shellcheck source=build/node2.sh
source "$ROOT/build/node2.sh"
if [[ $NODES == 2 ]]; then
	step node2-containerd node2_containerd
	step node2-images node2_images
	step node2-kubelet node2_kubelet
else
	node2_down
fi

cri_line=
if [[ $CRI_PROXY == misconfigured ]]; then
	cri_line=$'\n'"  CRI         $CRI_PROXY_SOCK in front of containerd, misconfigured: ReopenContainerLog never reaches containerd (log $NODE_LOGS/misconfigured-cri.log)"
fi
cat <<EOF
node-up: the local node is up.
  containerd  $CONTAINERD_SOCK, default runtime handler $RUNTIME_HANDLER (log $NODE_LOGS/containerd.log)$cri_line
  kubelet     $KUBELET_VERSION${KUBELET_FEATURE_GATES:+ (feature gates $KUBELET_FEATURE_GATES)}, $KUBELET_AUTH authentication, healthz http://127.0.0.1:10248/healthz, API server $API_SERVER (log $([[ $KUBELET_LOG == journal ]] && echo "in the journal: journalctl -t kubelet" || echo "$NODE_LOGS/kubelet.log"))
  static pods $STATIC_POD_DIR
EOF
[[ $NODES != 2 ]] || cat <<EOF
  node 2      $NODE2_NAME: containerd $NODE2_SOCK, default runtime handler $NODE2_RUNTIME_HANDLER (log $NODE_LOGS/containerd-2.log); kubelet healthz http://127.0.0.1:10258/healthz (log $NODE_LOGS/kubelet-2.log); static pods $NODE2_DIR/manifests
EOF
[[ $API_SERVER != http://localhost:8080 ]] ||
	echo "The node registers once a control plane serves http://localhost:8080: _output/bin/node-test controlplane, or make run."
