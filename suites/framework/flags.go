package framework

import (
	"flag"
	"time"

	cliflag "k8s.io/component-base/cli/flag"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
)

// NodeContext holds what node-test's own specs need to know of the node,
// beyond the upstream framework's TestContext.
var NodeContext struct {
	// StaticPodDir is the kubelet's static pod directory, reachable at the
	// same path from where the specs run.
	StaticPodDir string
	// RuntimeHandler is the CRI runtime handler node-test's own specs run
	// their pods with, through a RuntimeClass; empty for the node's
	// default handler.
	RuntimeHandler string
	// CapacityRate is how many pods a second the NodeCapacity specs create.
	CapacityRate float64
	// StartupSLO is the 99th percentile of pod startup latency the
	// NodeCapacity specs hold the node to.
	StartupSLO time.Duration
}

// RegisterNodeFlags registers the node flags of the conformance binary on fs
// and puts the framework in node-e2e mode, as upstream's node suite does.
func RegisterNodeFlags(fs *flag.FlagSet) {
	e2eframework.TestContext.NodeE2E = true
	fs.StringVar(&e2eframework.TestContext.NodeName, "node-name", "", "Name of the node under test (default: the only registered node).")
	fs.Var(cliflag.NewMapStringString(&e2eframework.TestContext.ExtraEnvs), "extra-envs",
		"Environment variables set for the specs, as key=value pairs: env1=val1,env2=val2.")
	fs.StringVar(&NodeContext.StaticPodDir, "static-pod-dir", "",
		"The kubelet's static pod directory ($CONFIG_DIR), mounted at the same path where the specs run.")
	fs.StringVar(&NodeContext.RuntimeHandler, "runtime-handler", "",
		"The CRI runtime handler node-test's own specs run their pods with, through a RuntimeClass node-test creates "+
			"(default: the runtime's default handler). The official specs always use the default handler.")
	fs.Float64Var(&NodeContext.CapacityRate, "node-capacity-rate", 1,
		"Pods a second the NodeCapacity specs create while they fill the node.")
	fs.DurationVar(&NodeContext.StartupSLO, "startup-slo", 5*time.Second,
		"The 99th percentile of pod startup latency (creation to running, images present) the NodeCapacity specs allow: "+
			"the default is the Kubernetes pod startup SLO.")
}
