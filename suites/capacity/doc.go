// Package capacity holds node-test's specs of a node's limits: that it runs
// as many pods as it says it can (its allocatable pod count, the kubelet's
// maxPods, at most 110 on a production node), starts them within the pod
// startup SLO, refuses one more, and removes every container of them once
// they are deleted.
//
// Its specs are [Serial]: they fill the node, so nothing may run beside
// them, and the default selection leaves them out. A FOCUS that names the
// area (FOCUS=NodeCapacity) runs them without a change to SKIP.
//
// It holds specs only, in non-test files, one top-level Describe per file;
// the helpers they share with other spec packages live in suites/framework.
// It never imports the runner.
package capacity
