#!/usr/bin/env bash
# Test images, offline.
#   images.sh build [ARCH [IMAGE...]]  build the image archives for ARCH (default: this machine's, all images)
#   images.sh load [IMAGE...]          build what is missing or stale for this machine, then load it into the node
#   images.sh index                    build every arch, then one multi-arch index per image in _output/images/oci
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=build/lib.sh
source "$ROOT/build/lib.sh"
cd "$ROOT"
"$ROOT/build/build.sh" node >/dev/null

build() {
	local arch=$1 img missing=() wanted=("${@:2}")
	((${#wanted[@]})) || wanted=($("$OUT/bin/node-test" images list | awk 'NR > 1 && $1 != "-" {print $1}'))
	for img in "${wanted[@]}"; do
		local tar=$OUT/images/$arch/$img.tar
		# Rebuilt when missing or older than the recipes or the pinned modules.
		[[ -s $tar && -z $(find "$ROOT/images" "$ROOT/go.sum" -newer "$tar" -print -quit) ]] || missing+=("$img")
	done
	if ((${#missing[@]} == 0)); then
		echo "every image archive for $arch is in $OUT/images/$arch"
		return 0
	fi
	"$OUT/bin/node-test" images build --arch "$arch" --out "$OUT/images" --module-dir "$ROOT" \
		--only "$(IFS=,; echo "${missing[*]}")"
}

case ${1:-build} in
build) build "${2:-$HOST_ARCH}" "${@:3}" ;;
load)
	build "$HOST_ARCH" "${@:2}"
	only=$(IFS=,; echo "${*:2}")
	"$OUT/bin/node-test" images load --rootfs / --dir "$OUT/images" ${RUNTIME:+--runtime "$RUNTIME"} ${only:+--only "$only"}
	;;
index)
	for arch in amd64 arm arm64; do build "$arch"; done
	"$OUT/bin/node-test" images index --dir "$OUT/images" --out "$OUT/images/oci"
	;;
*) die "unknown command '$1': use build [ARCH], load or index" ;;
esac
