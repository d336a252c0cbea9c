package framework

import (
	"flag"

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
}
