#!/usr/bin/env bash
# The test suite: unit tests (hermetic, -short) and integration tests
# (TestIntegration*, against the real control plane and the local node; the
# node must be up: make node-up). The integration tests run the binaries in
# _output/bin and load the test images of _output/images, built first.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
mkdir -p _output/tests
build/build.sh all
build/images.sh build
go test -count=1 -timeout 30m "$@" ./... 2>&1 | tee _output/tests/go-test.log
