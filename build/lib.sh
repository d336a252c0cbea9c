# Shared by the build/ scripts: paths of the local node and small helpers.
# shellcheck shell=bash

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
OUT=$ROOT/_output
NODE_DIR=$OUT/node
NODE_LOGS=$NODE_DIR/logs
NODE_RUN=$NODE_DIR/run
STATIC_POD_DIR=$NODE_DIR/manifests
CONTAINERD_SOCK=/run/containerd/containerd.sock
KUBE_VERSION=v1.37.2

case $(uname -m) in
x86_64) HOST_ARCH=amd64 ;;
aarch64) HOST_ARCH=arm64 ;;
armv7l) HOST_ARCH=arm ;;
*) HOST_ARCH=$(uname -m) ;;
esac

die() {
	echo "$(basename "$0"): $*" >&2
	exit 1
}

# step NAME FUNC...: runs a step with its output in $NODE_LOGS/steps/NAME.log
# (apart from the daemons' own logs in $NODE_LOGS); on failure, says which
# step failed, why (the end of its log) and where its log is. The step runs
# in a subshell of its own, in the background: a die in it ends the step, not
# the script, and set -e holds in it (bash ignores it in a function run as
# the condition of an if).
step() {
	local name=$1 log=$NODE_LOGS/steps/$1.log start=$SECONDS rc=0 pid
	shift
	mkdir -p "$NODE_LOGS/steps"
	printf '==> %-18s' "$name"
	(set -e; "$@") >"$log" 2>&1 </dev/null &
	pid=$!
	wait "$pid" || rc=$?
	if ((rc == 0)); then
		printf 'ok (%ss)\n' $((SECONDS - start))
	else
		printf 'FAILED (exit code %s)\n' "$rc"
		tail -n 20 "$log" | sed 's/^/    /' >&2
		die "step '$name' failed; its log is $log"
	fi
}

# running NAME: whether the daemon NAME started by node-up is alive.
running() {
	local pid
	pid=$(cat "$NODE_RUN/$1.pid" 2>/dev/null) || return 1
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null
}

# start_daemon NAME CMD...: starts CMD in the background, detached, logging to
# $NODE_LOGS/NAME.log, with its pid in $NODE_RUN/NAME.pid.
start_daemon() {
	local name=$1
	shift
	echo "starting $name: $*"
	setsid "$@" >>"$NODE_LOGS/$name.log" 2>&1 </dev/null &
	echo $! >"$NODE_RUN/$name.pid"
}

# stop_pid NAME: stops the daemon NAME started by node-up, if it runs.
stop_pid() {
	local pid i
	pid=$(cat "$NODE_RUN/$1.pid" 2>/dev/null) || return 0
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		echo "stopping $1 (pid $pid)"
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$NODE_RUN/$1.pid"
}

# wait_for WHAT SECONDS CMD...: retries CMD until it succeeds.
wait_for() {
	local what=$1 timeout=$2 i
	shift 2
	for i in $(seq 1 $((timeout * 10))); do
		if "$@" >/dev/null 2>&1; then
			echo "$what: ready after $((i / 10)).$((i % 10))s"
			return 0
		fi
		sleep 0.1
	done
	echo "$what: not ready after ${timeout}s ($*)"
	return 1
}

# check_host_logs DIR: the run whose report is in DIR collected the local
# node's logs of its own time: the kubelet's and containerd's mention the
# run's kubelet sync namespace; a log taken from a file is shorter than the
# node's file (what came before the run is left out), the kubelet's came
# from the journal when node-up put it there (KUBELET_LOG=journal); the
# kernel's has the bridge ports of the run's pods.
check_host_logs() {
	local dir=$1 daemon sources
	sources=$(sed -n 's/^host logs  //p' "$dir/summary.txt")
	echo "host logs: $sources"
	for daemon in kubelet containerd; do
		[[ -s $dir/$daemon.log ]] || die "the run left no $daemon.log in $dir"
		grep -q 'node-test-sync-' "$dir/$daemon.log" ||
			die "$dir/$daemon.log does not mention the run's kubelet sync namespace (node-test-sync-…)"
		if [[ $daemon == kubelet && $(cat "$NODE_RUN/kubelet.log-to" 2>/dev/null) == journal ]]; then
			[[ $sources == *"kubelet.log from the journal of process $(cat "$NODE_RUN/kubelet.pid")"* ]] ||
				die "the summary does not say kubelet.log came from the journal of the kubelet, pid $(cat "$NODE_RUN/kubelet.pid"): $sources"
			continue
		fi
		[[ $sources == *"$daemon.log from $NODE_LOGS/$daemon.log"* ]] ||
			die "the summary does not say $daemon.log came from $NODE_LOGS/$daemon.log: $sources"
		(($(stat -c %s "$dir/$daemon.log") < $(stat -c %s "$NODE_LOGS/$daemon.log"))) ||
			die "$dir/$daemon.log is not shorter than the node's $NODE_LOGS/$daemon.log: more than the run's part was copied"
	done
	grep -qE ': port [0-9]+\(veth[0-9a-f]+\) entered' "$dir/kern.log" ||
		die "$dir/kern.log has no kernel message of the bridge ports of the run's pods (… port N(veth…) entered …)"
	echo "host logs: $(wc -l <"$dir/kubelet.log") lines of the kubelet's, $(wc -l <"$dir/containerd.log") of containerd's, $(wc -l <"$dir/kern.log") of the kernel's"
}

# upstream_parts DIR: what upstream's node-test image of KUBE_VERSION is made
# of (test/e2e_node/conformance/build), for this machine's arch, into DIR:
# e2e_node.test built from the pinned module as Kubernetes' release builds it
# (static, stripped), and base.tar.gz, a Debian minbase of today's release
# standing in for its debian:jessie base, which cannot be fetched here (no
# registry, and jessie is only on archive.debian.org). Kept once built.
upstream_parts() {
	local dir=$1
	mkdir -p "$dir"
	[[ -x $dir/e2e_node.test ]] ||
		(cd "$ROOT" && CGO_ENABLED=0 go test -c -trimpath -ldflags "-s -w" -o "$dir/e2e_node.test" k8s.io/kubernetes/test/e2e_node)
	[[ -s $dir/base.tar.gz ]] && return 0
	command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null
	rm -rf "$dir/base"
	debootstrap --variant=minbase "$(. /etc/os-release && echo "$VERSION_CODENAME")" "$dir/base" http://deb.debian.org/debian >/dev/null
	rm -rf "$dir/base/var/cache/apt/archives/"*.deb "$dir/base/var/lib/apt/lists/"*
	tar -C "$dir/base" --numeric-owner -cf - . | gzip -6 >"$dir/base.tar.gz.tmp"
	mv "$dir/base.tar.gz.tmp" "$dir/base.tar.gz"
	rm -rf "$dir/base"
}
