#!/usr/bin/env bash
# The documented use, for real: the node-test image of this machine's arch,
# run with docker run --privileged --net=host -v /:/rootfs against the local
# node's kubelet, the static pod dir mounted at the same path, the results in
# a host directory. Needs the node up with Docker: make node-up WITH_DOCKER=1.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=build/lib.sh
source "$ROOT/build/lib.sh"

IMAGE=${IMAGE:-node-test/node-test}
RESULTS=$OUT/image-results
# MirrorPod holds upstream's node suite's static pod specs too (they write
# into the kubelet's staticPodPath, mounted at the same path, and reach the
# runtime through its socket under /rootfs); the device plugin spec serves a
# plugin in the kubelet's directory, which the run exposes at its own path;
# the Localhost seccomp spec writes its profile there too; the host port
# spec reaches the node's address from the container, on the host's network.
FOCUS=${FOCUS:-'MirrorPod|KubeletEndpoints|\[sig-node\] Pods should get a host IP|\[sig-node\] Downward API should provide pod name, namespace and IP address|Device Plugin Failures: will set allocatable to zero when a single device became unhealthy and then back to 1|\[sig-node\] Seccomp should enforce a Localhost profile|\[sig-node\] RuntimeNetworking should forward a hostPort|\[sig-node\] MountPropagation |\[sig-node\] ImageConfig '}

"$ROOT/build/image.sh" docker "$HOST_ARCH"
rm -rf "$RESULTS" && mkdir -p "$RESULTS"
echo "==> docker run --privileged --net=host -v /:/rootfs -v $STATIC_POD_DIR:$STATIC_POD_DIR -v $RESULTS:/var/result $IMAGE:$HOST_ARCH"
docker run --rm --privileged --net=host -v /:/rootfs \
	-v "$STATIC_POD_DIR:$STATIC_POD_DIR" -v "$RESULTS:/var/result" \
	-e FOCUS="$FOCUS" -e PARALLELISM=3 "$IMAGE:$HOST_ARCH"
python3 - "$RESULTS/junit_01.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
cases = list(ET.parse(sys.argv[1]).getroot().iter("testcase"))
specs = [c for c in cases if c.get("name", "").startswith("[It]")]
checks = [c for c in cases if c.get("classname") == "node-test system verification"]
bad = [c.get("name") for c in cases if c.find("failure") is not None or c.find("error") is not None]
print(f"image e2e: {len(specs)} specs, {len(checks)} host checks, {len(bad)} failed, junit {sys.argv[1]}")
if len(specs) < 20 or not checks or bad:
    sys.exit(f"image e2e: want 20 passing specs and the host checks: failed {bad}")
skipped = [c.get("name") for c in specs if c.find("skipped") is not None]
if skipped:
    sys.exit(f"image e2e: specs skipped in the image: {skipped}")
# The checks read the host's daemons through /rootfs/proc: the runtime's
# capabilities among them.
oom = [c for c in checks if c.get("name") == "[runtime] OOM score adjustment"]
if not oom or oom[0].find("skipped") is not None:
    sys.exit(f"image e2e: [runtime] OOM score adjustment did not read the host's runtime: {[ET.tostring(c, 'unicode')[:400] for c in oom]}")
print(f"image e2e: [runtime] OOM score adjustment: {(oom[0].findtext('system-out') or 'pass').strip()[:160]}")
PY
check_host_logs "$RESULTS"
