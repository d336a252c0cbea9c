// Package conformance is the node conformance test binary: its one
// suite_test.go links the official node specs of the pinned Kubernetes
// release and node-test's own suites, and is built with
// `go test -c -o _output/bin/conformance.test ./conformance`.
//
// A bare `go test ./...` skips it: the suite runs only when the runner (or a
// person) gives it the API server with --host.
package conformance
