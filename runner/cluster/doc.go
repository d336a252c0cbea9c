// Package cluster certifies the nodes of an existing cluster with the
// cluster itself as the engine (node-test cluster): in a namespace of its
// own it runs one privileged pod of the node-test image per node, pinned to
// that node, each running node-test run in cluster mode against the
// cluster's API server; it streams their progress, collects each node's
// report directory through the pod, writes the fleet's summary, and deletes
// everything it created.
package cluster
