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
		awk -v a="$arch" '$1 != "archive" {printf "  %-6s %-55s %10d bytes %6s\n", a, $2, $3, $5}'
	awk -v a="$arch" -v b="$(stat -c %s "$bench/$arch/images.tar")" -v s="$start" -v e="$(date +%s.%N)" \
		'BEGIN {printf "  %-6s archive %d bytes (each shared layer once), %.1f s (with the Go build cache as it is)\n", a, b, e - s}'
done

if running containerd; then
	echo "== test images: load into the node's containerd (present images are skipped by ID)"
	"$OUT/bin/node-test" images load --rootfs / --dir "$bench" 2>&1 | grep -E 'images loaded'
fi

echo "== node-test image per arch (make image-oci's layout), against upstream's node-test image (target: <= half)"
# Upstream's node-test image for v1.37.2 is its Debian base plus ginkgo and
# e2e_node.test (test/e2e_node/conformance/build): both binaries are built
# here from the pinned module as Kubernetes' release builds them (stripped),
# and their gzip size is a lower bound of the image's compressed size.
upstream=$OUT/bench/upstream
mkdir -p "$upstream"
[[ -x $upstream/e2e_node.test ]] || CGO_ENABLED=0 go test -c -trimpath -ldflags "-s -w" -o "$upstream/e2e_node.test" k8s.io/kubernetes/test/e2e_node
up=$(cat "$upstream/e2e_node.test" "$OUT/bin/ginkgo" | gzip -6 | wc -c)
printf "  upstream (amd64): e2e_node.test + ginkgo, gzip: %d bytes (%d MB) and its base on top\n" "$up" $((up >> 20))
if [[ -f $OUT/oci/index.json ]]; then
	NODE_TEST_OCI_DIR=$OUT/oci go test -count=1 -run '^TestBuiltOCILayout$' -v ./images/ |
		awk -v up="$up" '/MB compressed/ {sub(/^ *oci_test.go:[0-9]+: /, ""); mb=$(NF-2); printf "  %s: %.0f%% of upstream'"'"'s lower bound\n", $0, 100 * mb * 1048576 / up}'
else
	echo "  no OCI layout: make image-oci first"
fi
