#!/usr/bin/env bash
# The main job on this machine: brings up the local node if it is not up,
# builds node-test, and certifies the node with the default selection (or
# FOCUS/SKIP/PARALLELISM/... from the environment). Results: _output/results/.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=build/lib.sh
source "$ROOT/build/lib.sh"

if ! running kubelet || ! running containerd || ! curl -sf http://127.0.0.1:10248/healthz >/dev/null; then
	echo "==> bringing up the local node (make node-up)"
	"$ROOT/build/node-up.sh"
fi
echo "==> building"
"$ROOT/build/build.sh" all
# node-test run loads the images its specs need from the archive.
"$ROOT/build/images.sh" build

REPORT=${REPORT_PATH:-$OUT/results}
echo "==> node-test run (report in $REPORT)"
set +e
REPORT_PATH=$REPORT "$OUT/bin/node-test" run --rootfs / --bin-dir "$OUT/bin" \
	--static-pod-dir "$STATIC_POD_DIR" "$@"
rc=$?
set -e
echo "==> results: $REPORT/junit_01.xml, $REPORT/summary.txt (exit code $rc)"
exit $rc
