#!/usr/bin/env bash
# Builds node-test's binaries from the pinned module, reproducibly.
#   build.sh node            kubelet, crictl, node-test for this machine (the local node's needs)
#   build.sh all             the above plus conformance.test and ginkgo (default)
#   build.sh cross ARCH      node-test, conformance.test, ginkgo for linux/ARCH into _output/bin/linux/ARCH/
#   build.sh e2enode-overlay the go -overlay file that links upstream's node suite (test/e2e_node) into the
#                            conformance binary, written into _output/e2enode/; prints its path
#   build.sh e2enode-deps [FILE]  conformance/e2enode/deps.go (or FILE): the packages upstream's node suite imports, for go mod tidy
#   build.sh kubelet VERSION the kubelet of another Kubernetes release (v1.34.4, say) into _output/kubelet/VERSION/bin/,
#                            from its module as the Go module proxy serves it
# A binary linked with the same flags and newer than every source it depends
# on is not rebuilt.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=build/lib.sh
source "$ROOT/build/lib.sh"
cd "$ROOT"

# kube_ldflags VERSION: the linker flags that stamp a Kubernetes release
# (v1.37.2, say) into component-base's and client-go's version packages,
# as Kubernetes' own build does.
kube_ldflags() {
	local v=$1
	[[ $v =~ ^v(1)\.([0-9]+)\.([0-9]+)$ ]] || die "'$v' is not a Kubernetes release like v1.34.4"
	local pkg
	for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		printf -- '-X %s.gitVersion=%s -X %s.gitMajor=%s -X %s.gitMinor=%s ' \
			"$pkg" "$v" "$pkg" "${BASH_REMATCH[1]}" "$pkg" "${BASH_REMATCH[2]}"
	done
}

COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
NT_LDFLAGS=$(kube_ldflags "$KUBE_VERSION")
# node-test also says which commit it was built from (node-test version, the
# summary).
NODE_TEST_LDFLAGS="$NT_LDFLAGS -X github.com/node-test/node-test/runner.GitCommit=$COMMIT"
export CGO_ENABLED=0

# fresh OUT LDFLAGS SOURCES...: whether OUT exists, was linked with LDFLAGS
# (OUT.ldflags records them) and is newer than every source. A change of the
# stamped release or of the commit node-test names rebuilds, its sources or
# not.
fresh() {
	local out=$1 ldflags=$2
	shift 2
	[[ -x $out && $(cat "$out.ldflags" 2>/dev/null) == "$ldflags" ]] || return 1
	[[ -z $(find "$@" -newer "$out" \( -name '*.go' -o -name 'go.mod' -o -name 'go.sum' -o -name '*.json' \) -print -quit 2>/dev/null) ]]
}

# compile GOCMD OUT PKG LDFLAGS [SOURCES...]: runs go GOCMD (build, or
# test -c) for PKG into OUT, linked with LDFLAGS, unless fresh.
compile() {
	local gocmd=$1 out=$2 pkg=$3 ldflags="-s -w -buildid= $4"
	shift 4
	# A change of the go command's flags (tags, overlay) rebuilds too.
	if fresh "$out" "$gocmd $ldflags" go.mod go.sum "$@"; then
		echo "$out is up to date"
		return 0
	fi
	echo "building $out"
	# shellcheck disable=SC2086 # GOCMD is several words
	go $gocmd -trimpath -ldflags "$ldflags" -o "$out" "$pkg"
	echo "$gocmd $ldflags" >"$out.ldflags"
}

# gobuild OUT PKG LDFLAGS [SOURCES...]: builds PKG into OUT unless fresh.
gobuild() { compile build "$@"; }

# gotest OUT PKG LDFLAGS [SOURCES...]: compiles the test binary of PKG into
# OUT unless fresh.
gotest() { compile "test -c" "$@"; }

# conformance OUT: the conformance binary, with upstream's node suite
# (test/e2e_node of the pinned module) laid into conformance/e2enode by the
# overlay e2enode_overlay writes, and the tag that says it is there.
conformance() {
	local overlay=$OUT/e2enode/overlay.json
	e2enode_overlay "$overlay"
	compile "test -c -tags=e2enode -overlay=$overlay" "$1" ./conformance "$NT_LDFLAGS" "${ours[@]}" "$overlay"
}

# e2enode_overlay FILE: writes the go -overlay FILE that lays every Go file
# of the pinned module's test/e2e_node, but its suite file, into
# conformance/e2enode, each _test.go file under its name without _test, so
# that they build as a package the conformance binary links. Nothing is
# copied: the build reads them in the module cache. Rewritten only when it
# changes, so that a binary stays fresh.
e2enode_overlay() {
	local file=$1 src f name sep= tmp
	src=$(go list -m -f '{{.Dir}}' k8s.io/kubernetes)/test/e2e_node
	[[ -f $src/e2e_node_suite_test.go ]] || die "no test/e2e_node in $src: go mod download k8s.io/kubernetes"
	mkdir -p "$(dirname "$file")"
	tmp=$(mktemp)
	{
		printf '{"Replace": {'
		for f in "$src"/*.go; do
			name=$(basename "$f")
			[[ $name == e2e_node_suite_test.go ]] && continue
			printf '%s\n  "%s": "%s"' "$sep" "$ROOT/conformance/e2enode/${name/%_test.go/.go}" "$f"
			sep=,
		done
		printf '\n}}\n'
	} >"$tmp"
	if cmp -s "$tmp" "$file"; then rm -f "$tmp"; else mv "$tmp" "$file"; fi
}

# e2enode_deps FILE: writes FILE, the Go file that names every package
# upstream's node suite imports, so that go mod tidy, which cannot see
# through the overlay, keeps their modules in go.mod. Its build tag is one
# no build sets: it links nothing.
e2enode_deps() {
	local file=$1 imports
	imports=$(GOOS=linux go list -e -f '{{join .Imports "\n"}}{{"\n"}}{{join .TestImports "\n"}}' k8s.io/kubernetes/test/e2e_node |
		awk -F/ '$1 ~ /\./' | sort -u)
	[[ -n $imports ]] || die "go list found no import of k8s.io/kubernetes/test/e2e_node"
	{
		printf '// Code generated by build/build.sh e2enode-deps; DO NOT EDIT.\n\n'
		printf '//go:build e2enode_deps\n\n'
		printf '// The packages upstream'"'"'s node suite imports, for go mod tidy.\n\n'
		printf 'package e2enode\n\nimport (\n'
		printf '\t_ "%s"\n' $imports
		printf ')\n'
	} >"$file"
}

# ours: every directory of node-test's own Go sources.
ours=(cmd runner images results suites conformance)

build_node() {
	local bin=$OUT/bin
	mkdir -p "$bin"
	gobuild "$bin/kubelet" k8s.io/kubernetes/cmd/kubelet "$NT_LDFLAGS"
	gobuild "$bin/crictl" sigs.k8s.io/cri-tools/cmd/crictl "$NT_LDFLAGS"
	gobuild "$bin/node-test" ./cmd/node-test "$NODE_TEST_LDFLAGS" "${ours[@]}"
	# The CRI endpoint of the node broken on purpose (node-up CRI_PROXY=misconfigured).
	gobuild "$bin/misconfigured-cri" ./cmd/misconfigured-cri "$NT_LDFLAGS" cmd/misconfigured-cri internal/criproxy
}

build_all() {
	build_node
	conformance "$OUT/bin/conformance.test"
	gobuild "$OUT/bin/ginkgo" github.com/onsi/ginkgo/v2/ginkgo "$NT_LDFLAGS"
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
	GOOS=linux GOARCH=$goarch GOARM=$goarm gobuild "$bin/node-test" ./cmd/node-test "$NODE_TEST_LDFLAGS" "${ours[@]}"
	GOOS=linux GOARCH=$goarch GOARM=$goarm conformance "$bin/conformance.test"
	GOOS=linux GOARCH=$goarch GOARM=$goarm gobuild "$bin/ginkgo" github.com/onsi/ginkgo/v2/ginkgo "$NT_LDFLAGS"
}

# build_kubelet VERSION: the kubelet of k8s.io/kubernetes@VERSION, built in a
# module of its own under _output/kubelet/VERSION whose staging modules are
# those of the same release (v0.MINOR.PATCH), as that release's go.mod
# replaces them with its ./staging tree.
build_kubelet() {
	local v=$1 dir=$OUT/kubelet/$1 staging ldflags
	local out=$dir/bin/kubelet
	ldflags=$(kube_ldflags "$v")
	if [[ -x $out ]]; then
		echo "$out is up to date"
		return 0
	fi
	echo "building $out"
	mkdir -p "$dir/bin"
	local mod
	mod=$(go mod download -json "k8s.io/kubernetes@$v" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')
	[[ -f $mod ]] || die "the Go module proxy does not serve k8s.io/kubernetes@$v"
	staging=$(sed -n '/^replace (/,/^)/p' "$mod" | awk '$2 == "=>" {print $1}')
	{
		printf 'module node-test.local/kubelet\n\n%s\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$(grep -m1 '^go ' "$mod")" "$v"
		for m in $staging; do printf '\t%s => %s v0.%s\n' "$m" "$m" "${v#v1.}"; done
		printf ')\n'
	} >"$dir/go.mod"
	printf '//go:build tools\n\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/kubelet"\n' >"$dir/tools.go"
	(
		cd "$dir"
		go mod tidy
		go build -trimpath -ldflags "-s -w -buildid= $ldflags" -o "$out.tmp" k8s.io/kubernetes/cmd/kubelet
	)
	mv "$out.tmp" "$out"
}

case ${1:-all} in
node) build_node ;;
all) build_all ;;
cross) build_cross "${2:?usage: build.sh cross ARCH}" ;;
kubelet) build_kubelet "${2:?usage: build.sh kubelet VERSION}" ;;
e2enode-deps) e2enode_deps "${2:-$ROOT/conformance/e2enode/deps.go}" ;;
e2enode-overlay)
	e2enode_overlay "$OUT/e2enode/overlay.json"
	echo "$OUT/e2enode/overlay.json"
	;;
*) die "unknown target '$1': use node, all, cross ARCH, kubelet VERSION, e2enode-overlay or e2enode-deps" ;;
esac
