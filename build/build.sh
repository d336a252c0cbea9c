#!/usr/bin/env bash
# Builds node-test's binaries from the pinned module, reproducibly.
#   build.sh node            kubelet, crictl, node-test for this machine (the local node's needs)
#   build.sh all             the above plus conformance.test and ginkgo (default)
#   build.sh cross ARCH      node-test, conformance.test, ginkgo for linux/ARCH into _output/bin/linux/ARCH/
# A binary newer than every source it depends on is not rebuilt.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=build/lib.sh
source "$ROOT/build/lib.sh"
cd "$ROOT"

COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
KUBE_LDFLAGS="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION \
-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37 \
-X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION \
-X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=37"
NT_LDFLAGS="$KUBE_LDFLAGS -X github.com/node-test/node-test/runner/app.gitCommit=$COMMIT"
export CGO_ENABLED=0

# fresh OUT SOURCES...: whether OUT exists and is newer than every source.
fresh() {
	local out=$1
	shift
	[[ -x $out ]] || return 1
	[[ -z $(find "$@" -newer "$out" \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' \) -print -quit 2>/dev/null) ]]
}

# gobuild OUT PKG [SOURCES...]: builds PKG into OUT unless fresh.
gobuild() {
	local out=$1 pkg=$2
	shift 2
	if fresh "$out" go.mod go.sum "$@"; then
		echo "$out is up to date"
		return 0
	fi
	echo "building $out"
	go build -trimpath -ldflags "-s -w -buildid= $NT_LDFLAGS" -o "$out" "$pkg"
}

# gotest OUT PKG [SOURCES...]: compiles the test binary of PKG into OUT unless fresh.
gotest() {
	local out=$1 pkg=$2
	shift 2
	if fresh "$out" go.mod go.sum "$@"; then
		echo "$out is up to date"
		return 0
	fi
	echo "building $out"
	go test -c -trimpath -ldflags "-s -w -buildid= $NT_LDFLAGS" -o "$out" "$pkg"
}

# ours: every directory of node-test's own Go sources.
ours=(cmd runner images results suites conformance)

build_node() {
	local bin=$OUT/bin
	mkdir -p "$bin"
	gobuild "$bin/kubelet" k8s.io/kubernetes/cmd/kubelet
	gobuild "$bin/crictl" sigs.k8s.io/cri-tools/cmd/crictl
	gobuild "$bin/node-test" ./cmd/node-test "${ours[@]}"
}

build_all() {
	build_node
	gotest "$OUT/bin/conformance.test" ./conformance "${ours[@]}"
	gobuild "$OUT/bin/ginkgo" github.com/onsi/ginkgo/v2/ginkgo
}

build_cross() {
	local arch=$1 goarch goarm=
	case $arch in
	amd64) goarch=amd64 ;;
	arm64) goarch=arm64 ;;
	arm) goarch=arm goarm=7 ;;
	*) die "unknown ARCH '$arch': use amd64, arm or arm64" ;;
	esac
	local bin=$OUT/bin/linux/$arch
	mkdir -p "$bin"
	GOOS=linux GOARCH=$goarch GOARM=$goarm gobuild "$bin/node-test" ./cmd/node-test "${ours[@]}"
	GOOS=linux GOARCH=$goarch GOARM=$goarm gotest "$bin/conformance.test" ./conformance "${ours[@]}"
	GOOS=linux GOARCH=$goarch GOARM=$goarm gobuild "$bin/ginkgo" github.com/onsi/ginkgo/v2/ginkgo
}

case ${1:-all} in
node) build_node ;;
all) build_all ;;
cross) build_cross "${2:?usage: build.sh cross ARCH}" ;;
*) die "unknown target '$1': use node, all or cross ARCH" ;;
esac
