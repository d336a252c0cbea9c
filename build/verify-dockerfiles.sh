#!/usr/bin/env bash
# The three Dockerfiles must be identical but for their ARG ARCH line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
fail=0
for a in amd64 arm arm64; do
	grep -qx "ARG ARCH=$a" "Dockerfile.$a" || { echo "Dockerfile.$a: no 'ARG ARCH=$a' line"; fail=1; }
	if ! diff <(grep -v '^ARG ARCH=' Dockerfile.amd64) <(grep -v '^ARG ARCH=' "Dockerfile.$a"); then
		echo "Dockerfile.$a drifted from Dockerfile.amd64 (only the ARG ARCH line may differ)"
		fail=1
	fi
done
exit $fail
