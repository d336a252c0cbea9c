#!/usr/bin/env bash
# The node-test image.
#   image.sh docker ARCH   build Dockerfile.ARCH with Docker's (legacy) builder as node-test:ARCH
#   image.sh oci           the three images and their multi-arch index, without a daemon, in _output/oci
# Everything the image holds is built here first: nothing is pulled.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=build/lib.sh
source "$ROOT/build/lib.sh"
cd "$ROOT"

IMAGE=${IMAGE:-node-test/node-test}

contents() {
	local arch=$1
	"$ROOT/build/build.sh" cross "$arch"
	"$ROOT/build/images.sh" build "$arch"
}

case ${1:-} in
docker)
	arch=${2:?usage: image.sh docker ARCH}
	docker version >/dev/null 2>&1 || die "no Docker daemon answers: make node-up WITH_DOCKER=1 starts one on the local node"
	contents "$arch"
	DOCKER_BUILDKIT=0 docker build -q -f "Dockerfile.$arch" -t "$IMAGE:$arch" .
	docker image inspect -f "{{.Id}} {{.Size}}" "$IMAGE:$arch" | awk -v ref="$IMAGE:$arch" '{printf "%s %s, %d bytes\n", ref, $1, $2}'
	;;
oci)
	for arch in amd64 arm arm64; do contents "$arch"; done
	# The test images too, one multi-arch index each, as a registry serves them.
	"$OUT/bin/node-test" images index --dir "$OUT/images" --out "$OUT/images/oci"
	"$OUT/bin/node-test" images oci --out "$OUT/oci" --context "$ROOT" Dockerfile.amd64 Dockerfile.arm Dockerfile.arm64
	# The index's platforms, each image's binaries and archives, and its
	# node-test run on its arch (qemu-user for arm and arm64).
	NODE_TEST_OCI_DIR=$OUT/oci go test -count=1 -run '^(TestBuiltOCILayout|TestPushLayout)$' -v ./images/ | grep -E '^(=== RUN|--- |\s+(oci|push)_test|ok|FAIL)'
	;;
*) die "usage: image.sh docker ARCH | image.sh oci" ;;
esac
