// Package node holds node-test's own node specs: behaviours of the kubelet
// that the official specs linked into the conformance binary
// (k8s.io/kubernetes/test/e2e/common/node) cannot check from the API alone,
// such as static pods and their mirror pods, which need the kubelet's static
// pod directory (--static-pod-dir, mounted at the same path where the specs
// run).
//
// It holds specs only, in non-test files, one top-level Describe per file;
// the helpers they share with other spec packages live in suites/framework.
// It never imports the runner.
package node
