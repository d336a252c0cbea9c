#!/usr/bin/env bash
# Test images, offline.
#   images.sh build [ARCH]   build every image archive for ARCH (default: this machine's)
#   images.sh load           build what is missing for this machine, then load it into the node
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=build/lib.sh
source "$ROOT/build/lib.sh"
cd "$ROOT"
"$ROOT/build/build.sh" node >/dev/null

build() {
	local arch=$1 img missing=()
	for img in $("$OUT/bin/node-test" images list | awk 'NR > 1 {print $1}'); do
		[[ -s $OUT/images/$arch/$img.tar ]] || missing+=("$img")
	done
	if ((${#missing[@]} == 0)); then
		echo "every image archive for $arch is in $OUT/images/$arch"
		return 0
	fi
	"$OUT/bin/node-test" images build --arch "$arch" --out "$OUT/images" --module-dir "$ROOT" \
		--only "$(IFS=,; echo "${missing[*]}")"
}

case ${1:-build} in
build) build "${2:-$HOST_ARCH}" ;;
load)
	build "$HOST_ARCH"
	"$OUT/bin/node-test" images load --rootfs / --dir "$OUT/images" ${RUNTIME:+--runtime "$RUNTIME"}
	;;
*) die "unknown command '$1': use build [ARCH] or load" ;;
esac
