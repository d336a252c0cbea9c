#!/usr/bin/env bash
# Benchmarks (not tests): the control plane's time to ready and memory, the
# test images' build time per arch and their sizes, their load time.
#   BENCH_ARCHES="amd64 arm arm64" (default) limits the image builds.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=build/lib.sh
source "$ROOT/build/lib.sh"
cd "$ROOT"
"$ROOT/build/build.sh" node >/dev/null

echo "== control plane: time to ready (target <= 3000 ms), RSS (target <= 512 MiB)"
go test -run '^$' -bench BenchmarkStart -benchtime 3x ./runner/controlplane | grep -E '^Benchmark|^ok'

echo "== test images: build time per arch and size"
bench=$OUT/bench/images
rm -rf "$bench"
for arch in ${BENCH_ARCHES:-amd64 arm arm64}; do
	start=$(date +%s.%N)
	"$OUT/bin/node-test" images build --arch "$arch" --out "$bench" --module-dir "$ROOT" 2>/dev/null |
		awk -v a="$arch" '{printf "  %-6s %-55s %10d bytes %6s\n", a, $2, $3, $5}'
	awk -v a="$arch" -v b="$(du -cb "$bench/$arch"/*.tar | tail -n 1 | cut -f1)" -v s="$start" -v e="$(date +%s.%N)" \
		'BEGIN {printf "  %-6s total %d bytes, %.1f s (with the Go build cache as it is)\n", a, b, e - s}'
done

if running containerd; then
	echo "== test images: load into the node's containerd (present images are skipped by ID)"
	"$OUT/bin/node-test" images load --rootfs / --dir "$bench" 2>&1 | grep -E 'images loaded'
fi
