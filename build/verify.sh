#!/usr/bin/env bash
# Static checks: formatting, vet, go.mod tidiness, generated files, shell
# syntax, and that only cmd/ exits.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
fail=0

unformatted=$(gofmt -l $(git ls-files '*.go'))
[[ -z $unformatted ]] || { echo "gofmt needed: $unformatted"; fail=1; }

go vet ./... || fail=1

# -diff changes nothing: go.mod keeps its time, and the binaries built from it
# stay up to date.
if ! go mod tidy -diff >/dev/null; then
	echo "go.mod/go.sum are not tidy: run go mod tidy"
	fail=1
fi

# Upstream's node suite, as the conformance binary links it, vets too.
overlay=$(build/build.sh e2enode-overlay)
go vet -tags=e2enode -overlay="$overlay" ./conformance/... || fail=1

# conformance/e2enode/deps.go names what upstream's node suite imports.
deps=$(mktemp)
if ! build/build.sh e2enode-deps "$deps" || ! cmp -s "$deps" conformance/e2enode/deps.go; then
	echo "conformance/e2enode/deps.go is stale: run build/build.sh e2enode-deps, then go mod tidy"
	fail=1
fi
rm -f "$deps"

# The images each spec package needs are generated from the linked sources;
# a generator that fails fails verify.
usedby=$(mktemp)
if ! go run ./images/internal/genusedby -overlay "$overlay" -o "$usedby"; then
	echo "images/internal/genusedby failed"
	fail=1
elif ! cmp -s "$usedby" images/usedby.go; then
	echo "images/usedby.go is stale: run go generate ./images"
	fail=1
fi
rm -f "$usedby"

for f in build/*.sh .ci/run; do bash -n "$f" || fail=1; done
for f in build/*.py; do python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])' "$f" || fail=1; done
build/lib_test.sh || fail=1

# Only main packages exit: cmd/node-test, and the programs inside test images.
exits=$(git grep -lE 'os\.Exit\(|log\.Fatal|klog\.Fatal' -- '*.go' | xargs -r grep -L '^package main$' || true)
[[ -z $exits ]] || { echo "only main packages may exit: $exits"; fail=1; }

if [[ -x build/verify-dockerfiles.sh ]]; then build/verify-dockerfiles.sh || fail=1; fi
((fail == 0)) && echo "verify: ok"
exit $fail
