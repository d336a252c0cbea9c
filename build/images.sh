#!/usr/bin/env bash
# Test images, offline.
#   images.sh build [ARCH]    build the archive of ARCH's test images (default: this machine's), if missing or stale
#   images.sh load [IMAGE...]  build this machine's archive if missing or stale, then load the images (default: all) into the node
#   images.sh index                    build every arch, then one multi-arch index per image in _output/images/oci
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=build/lib.sh
source "$ROOT/build/lib.sh"
cd "$ROOT"
"$ROOT/build/build.sh" node >/dev/null

build() {
	local arch=$1 tar=$OUT/images/$1/images.tar
	# Rebuilt when missing or older than the recipes or the pinned modules.
	if [[ -s $tar && -z $(find "$ROOT/images" "$ROOT/go.sum" -newer "$tar" -print -quit) ]]; then
		echo "the archive of the $arch test images is up to date: $tar"
		return 0
	fi
	"$OUT/bin/node-test" images build --arch "$arch" --out "$OUT/images" --module-dir "$ROOT"
}

case ${1:-build} in
build) build "${2:-$HOST_ARCH}" ;;
load)
	build "$HOST_ARCH"
	only=$(IFS=,; echo "${*:2}")
	"$OUT/bin/node-test" images load --rootfs / --dir "$OUT/images" ${RUNTIME:+--runtime "$RUNTIME"} ${only:+--only "$only"}
	;;
index)
	for arch in amd64 arm arm64; do build "$arch"; done
	"$OUT/bin/node-test" images index --dir "$OUT/images" --out "$OUT/images/oci"
	;;
*) die "unknown command '$1': use build [ARCH], load or index" ;;
esac
