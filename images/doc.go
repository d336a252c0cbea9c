// Package images owns the container images node-test carries to the node:
// the registry of every image the linked specs need (named exactly as the
// pinned e2e framework expects them), their offline, reproducible build for
// linux/amd64, linux/arm/v7 and linux/arm64 from Go modules, Debian binary
// packages, Debian source packages compiled with Debian's compilers, and
// sources in this repository, and their loading into the node's runtime.
//
// It never pulls: every image is assembled here from files, with
// go-containerregistry, and written as an image archive under
// _output/images/<arch>/. It does not decide which specs run; callers ask it
// for the images a selection needs.
package images

//go:generate sh -c "go run ./internal/genusedby -overlay $(../build/build.sh e2enode-overlay) -o usedby.go"
