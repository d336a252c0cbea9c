#!/usr/bin/env bash
# Benchmarks (not tests): the control plane's time to ready and memory, how
# fast it removes deleted namespaces, the
# test images' build time per arch and their sizes, their load time, and,
# on the local node, its capacity: 110 pods, their startup latency, and the
# API server's load of one node's certification (BENCH_API_FOCUS, default
# [Conformance]) with what it makes of 5000 nodes at --max-parallel 50 and 500.
#   BENCH_ARCHES="amd64 arm arm64" (default) limits the image builds.
#   BENCH_CAPACITY_RATES="1 2 3 5" (default): the NodeCapacity spec's
#   creation rates, pods a second, one run each (about 4 minutes a run).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=build/lib.sh
source "$ROOT/build/lib.sh"
cd "$ROOT"
"$ROOT/build/build.sh" node >/dev/null

echo "== control plane: time to ready (target <= 3000 ms), RSS (target <= 512 MiB)"
go test -run '^$' -bench BenchmarkStart -benchtime 3x ./runner/controlplane | grep -E '^Benchmark|^ok'
echo "== control plane: the namespace controller removing 100 deleted namespaces (a run's specs delete theirs as they end)"
go test -run '^$' -bench BenchmarkNamespaceDeletion -benchtime 1x ./runner/controlplane | grep -E '^Benchmark|^ok'

echo "== test images: build time per arch and size"
bench=$OUT/bench/images
rm -rf "$bench"
for arch in ${BENCH_ARCHES:-amd64 arm arm64}; do
	start=$(date +%s.%N)
	"$OUT/bin/node-test" images build --arch "$arch" --out "$bench" --module-dir "$ROOT" 2>/dev/null |
		awk -v a="$arch" '$1 != "archive" {printf "  %-6s %-55s %10d bytes %6s\n", a, $2, $3, $5}'
	awk -v a="$arch" -v b="$(stat -c %s "$bench/$arch/images.tar")" -v s="$start" -v e="$(date +%s.%N)" \
		'BEGIN {printf "  %-6s archive %d bytes (each shared layer once), %.1f s (with the Go build cache as it is)\n", a, b, e - s}'
done

if running containerd; then
	echo "== test images: load into the node's containerd, every one but pause removed first"
	for ref in $("$OUT/bin/node-test" images list | awk 'NR > 1 && $1 != "-" && $1 != "pause" {print $2}'); do
		"$OUT/bin/crictl" rmi "$ref" >/dev/null 2>&1 || true
	done
	"$OUT/bin/node-test" images load --rootfs / --dir "$bench" 2>&1 | grep -E 'images loaded' | sed 's/^.*msg="images loaded" /  /'
	echo "== test images: load again (present images are skipped by ID)"
	"$OUT/bin/node-test" images load --rootfs / --dir "$bench" 2>&1 | grep -E 'images loaded' | sed 's/^.*msg="images loaded" /  /'
fi

echo "== node-test image per arch (make image-oci's layout), against upstream's node-test image (target: <= half)"
# Upstream's node-test image is its Debian base plus ginkgo and e2e_node.test
# (lib.sh upstream_parts says what stands in for what cannot be fetched).
upstream=$OUT/bench/upstream
upstream_parts "$upstream"
bins=$(cat "$upstream/e2e_node.test" "$OUT/bin/ginkgo" | gzip -6 | wc -c)
base=$(stat -c %s "$upstream/base.tar.gz")
up=$((bins + base))
printf "  upstream (amd64): e2e_node.test + ginkgo %d MB, Debian minbase %d MB: %d MB gzipped\n" $((bins >> 20)) $((base >> 20)) $((up >> 20))
if [[ -f $OUT/oci/index.json ]]; then
	NODE_TEST_OCI_DIR=$OUT/oci go test -count=1 -run '^TestBuiltOCILayout$' -v ./images/ |
		awk -v up="$up" '/MB compressed/ {sub(/^ *oci_test.go:[0-9]+: /, ""); mb=$(NF-2); printf "  %s: %.0f%% of upstream'"'"'s\n", $0, 100 * mb * 1048576 / up}'
	for arch in amd64 arm arm64; do
		[[ -f $OUT/images/$arch/images.tar ]] || continue
		printf "  %-6s of which test images (images.tar, compressed layers): %d MB; binaries gzipped: %d MB\n" "$arch" \
			$(($(stat -c %s "$OUT/images/$arch/images.tar") >> 20)) \
			$(($(cat "$OUT/bin/linux/$arch/node-test" "$OUT/bin/linux/$arch/conformance.test" "$OUT/bin/linux/$arch/ginkgo" | gzip -6 | wc -c) >> 20))
	done
else
	echo "  no OCI layout: make image-oci first"
fi

if running kubelet; then
	echo "== node capacity: the NodeCapacity spec at maxPods 110, pods created at each rate (pods/s) of BENCH_CAPACITY_RATES"
	echo "   on $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); the SLO: startup p99 <= 5 s"
	"$ROOT/build/build.sh" all >/dev/null
	for rate in ${BENCH_CAPACITY_RATES:-1 2 3 5}; do
		report=$OUT/bench/capacity-$rate
		mkdir -p "$OUT/bench"
		FOCUS=NodeCapacity REPORT_PATH=$report TEST_ARGS=--node-capacity-rate=$rate "$OUT/bin/node-test" run --rootfs / \
			--bin-dir "$OUT/bin" --static-pod-dir "$STATIC_POD_DIR" >"$report.log" 2>&1 || true
		printf "  %s pods/s: %s\n    %s\n" "$rate" "$(head -1 "$report/summary.txt")" \
			"$(awk '/^MEASURED .*NodeCapacity/ {getline; sub(/^ +/, ""); print}' "$report/summary.txt")"
	done
fi

if running kubelet; then
	# Scale of node-test cluster: what one node's certification asks of the
	# API server, counted at the API server (its request metrics, sampled
	# until the run ends), and that load for a fleet of 5000 nodes.
	focus=${BENCH_API_FOCUS:-'\[Conformance\]'}
	echo "== node-test cluster: the API server's load of one node's certification (FOCUS=$focus, PARALLELISM=${PARALLELISM:-8})"
	report=$OUT/bench/api-load
	mkdir -p "$OUT/bench"
	rm -f "$report.metrics" "$report.inflight"
	(
		while sleep 5; do
			curl -sf http://127.0.0.1:8080/metrics -o "$report.sample" || continue
			grep -E '^apiserver_(request_total|request_duration_seconds_sum)' "$report.sample" >"$report.metrics"
			grep '^apiserver_current_inflight_requests' "$report.sample" | tr '\n' ' ' | sed 's/ \([0-9]*\) /=\1 /g' >>"$report.inflight"
			echo >>"$report.inflight"
		done
	) &
	sampler=$!
	start=$SECONDS
	FOCUS=$focus REPORT_PATH=$report "$OUT/bin/node-test" run --rootfs / --bin-dir "$OUT/bin" \
		--static-pod-dir "$STATIC_POD_DIR" >"$report.log" 2>&1 || true
	kill "$sampler" 2>/dev/null || true
	echo "  $(head -1 "$report/summary.txt")"
	python3 "$ROOT/build/api-load.py" "$report.metrics" "$report.inflight" $((SECONDS - start)) | sed 's/^/  /'
fi
