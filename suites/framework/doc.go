// Package framework is node-test's thin layer over the upstream e2e framework
// (k8s.io/kubernetes/test/e2e/framework): the node flags of the conformance
// binary, the node-e2e initialisation every spec package relies on, and
// helpers for node-test's own specs. Tags come from upstream's helpers
// (framework.WithNodeConformance() and friends), never typed by hand.
//
// It holds no specs and never imports the runner: the runner reaches the
// specs only through the compiled conformance.test binary and its flags.
package framework
