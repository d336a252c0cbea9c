#!/usr/bin/env bash
# node-test side by side with the tool it replaces, on the local node: upstream's
# node-test image of the pinned release, made by its own recipe
# (test/e2e_node/conformance/build: its Dockerfile, ENTRYPOINT and defaults, a
# Debian minbase for its debian:jessie base, see lib.sh upstream_parts), then
# node-test's image, both run as the documented docker run, on the same
# kubelet, with the same FOCUS, SKIP and PARALLELISM. The kubelet is pointed
# the upstream way, at https://127.0.0.1:6443 with a token, which upstream's
# suite serves from its own etcd and API server and node-test's control plane
# accepts with --bearer-token; the kubelet starts anew before each of
# upstream's runs, as upstream's run_test.sh starts it. Every test image is loaded into the node's
# runtime from node-test's archive first: neither side pulls. For each
# selection it prints both wall times (whole run, specs only), their ratio,
# and every spec whose verdict differs, with both messages; the reports are
# kept under _output/bench/side-by-side/<selection>/. Needs the node up with
# Docker: make node-up WITH_DOCKER=1. The node goes back to http://localhost:8080
# afterwards, whatever the outcome.
#   BENCH_SELECTIONS="conformance nodeconformance" (default):
#     conformance      FOCUS=\[Conformance\] SKIP=\[Flaky\]|\[Serial\], upstream's image's defaults
#     nodeconformance  FOCUS=\[NodeConformance\] SKIP=\[Flaky\]|\[Serial\]|\[Slow\]
#   PARALLELISM=8 (default, upstream's image's).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=build/lib.sh
source "$ROOT/build/lib.sh"
cd "$ROOT"

PARALLELISM=${PARALLELISM:-8}
BENCH_SELECTIONS=${BENCH_SELECTIONS:-conformance nodeconformance}
UPSTREAM_IMAGE=node-test-bench/upstream-node-test:$KUBE_VERSION
NODE_TEST_IMAGE=node-test/node-test:$HOST_ARCH
BENCH=$OUT/bench/side-by-side

docker version >/dev/null 2>&1 || die "no Docker daemon answers: make node-up WITH_DOCKER=1 starts one on the local node"
running kubelet || die "the local node is not up: make node-up WITH_DOCKER=1"
for sel in $BENCH_SELECTIONS; do
	[[ $sel == conformance || $sel == nodeconformance ]] ||
		die "BENCH_SELECTIONS: $sel is not conformance or nodeconformance"
done

echo "==> bench-upstream: node-test's image ($NODE_TEST_IMAGE)"
"$ROOT/build/build.sh" all >/dev/null
"$ROOT/build/image.sh" docker "$HOST_ARCH"

echo "==> bench-upstream: upstream's image ($UPSTREAM_IMAGE) by test/e2e_node/conformance/build"
parts=$OUT/bench/upstream
upstream_parts "$parts"
recipe=$(go list -m -f '{{.Dir}}' k8s.io/kubernetes)/test/e2e_node/conformance/build
ctx=$OUT/bench/upstream-image
rm -rf "$ctx" && mkdir -p "$ctx"
docker import "$parts/base.tar.gz" node-test-bench/debian-minbase:latest >/dev/null
# What upstream's Makefile does with its Dockerfile, without a system spec.
sed 's|BASEIMAGE|node-test-bench/debian-minbase:latest|g; s|COPY_SYSTEM_SPEC_FILE||g; s|SYSTEM_SPEC_NAME||g; s|SYSTEM_SPEC_FILE_PATH||g' \
	"$recipe/Dockerfile" >"$ctx/Dockerfile"
cp "$parts/e2e_node.test" "$OUT/bin/ginkgo" "$ctx/"
chmod a+rx "$ctx/e2e_node.test" "$ctx/ginkgo"
DOCKER_BUILDKIT=0 docker build -q -t "$UPSTREAM_IMAGE" "$ctx" >/dev/null
docker image inspect -f "{{.Id}} {{.Size}}" "$UPSTREAM_IMAGE" | awk -v ref="$UPSTREAM_IMAGE" '{printf "%s %s, %d bytes\n", ref, $1, $2}'

echo "==> bench-upstream: every test image into the node's runtime from node-test's archive"
"$ROOT/build/images.sh" build >/dev/null
"$OUT/bin/node-test" images load --rootfs / --dir "$OUT/images" 2>&1 | grep -E 'images loaded' | sed 's/^.*msg="images loaded" /  /'

token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
restore() {
	echo "==> bench-upstream: the kubelet back to http://localhost:8080"
	WITH_DOCKER=1 "$ROOT/build/node-up.sh" >/dev/null
}
trap restore EXIT

# side NAME SELECTION_DIR [OPTIONS...] IMAGE [ARGS...]: the documented docker
# run, its output in SELECTION_DIR/NAME.log, its reports in SELECTION_DIR/NAME/,
# its wall time in SELECTION_DIR/NAME.seconds.
side() {
	local name=$1 dir=$2
	shift 2
	local results=$dir/$name start rc
	mkdir -p "$results"
	echo "  $name: docker run --privileged --net=host -v /:/rootfs -v $STATIC_POD_DIR:$STATIC_POD_DIR -v $results:/var/result $* (log $dir/$name.log)"
	start=$(date +%s.%N)
	set +e
	docker run --rm --privileged --net=host -v /:/rootfs \
		-v "$STATIC_POD_DIR:$STATIC_POD_DIR" -v "$results:/var/result" \
		-e FOCUS="$FOCUS" -e SKIP="$SKIP" -e PARALLELISM="$PARALLELISM" "$@" >"$dir/$name.log" 2>&1
	rc=$?
	set -e
	awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN {printf "%.1f\n", e - s}' >"$dir/$name.seconds"
	echo "  $name: exit code $rc after $(cat "$dir/$name.seconds") s"
}

for sel in $BENCH_SELECTIONS; do
	case $sel in
	conformance) FOCUS='\[Conformance\]' SKIP='\[Flaky\]|\[Serial\]' ;;
	nodeconformance) FOCUS='\[NodeConformance\]' SKIP='\[Flaky\]|\[Serial\]|\[Slow\]' ;;
	esac
	dir=$BENCH/$sel
	rm -rf "$dir" && mkdir -p "$dir"
	echo "==> bench-upstream: $sel (FOCUS=$FOCUS SKIP=$SKIP PARALLELISM=$PARALLELISM)"
	# The kubelet pointed the upstream way. Upstream's suite starts a new store
	# each run, and a kubelet registers its Node only when it starts:
	# upstream's run_test.sh starts the kubelet for each run, and so does this
	# (node-test keeps its store: no restart).
	stop_pid kubelet
	API_SERVER=https://127.0.0.1:6443 API_TOKEN=$token WITH_DOCKER=1 "$ROOT/build/node-up.sh" | grep 'kubelet '
	side upstream "$dir" -e TEST_ARGS="--bearer-token=$token" "$UPSTREAM_IMAGE"
	side node-test "$dir" "$NODE_TEST_IMAGE" --bearer-token="$token"
	python3 "$ROOT/build/side-by-side.py" "$dir" "$PARALLELISM" | tee "$dir/compare.txt"
done
