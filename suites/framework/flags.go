package framework

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	clientset "k8s.io/client-go/kubernetes"

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
	// GivenNodeName is --node-name: the framework's TestContext.NodeName
	// until the suite learns the node, which CompleteFlags sets.
	GivenNodeName string
	// BearerTokenFile holds the token the specs present to the API server
	// (a service account's, in a cluster); read into the framework's
	// TestContext.BearerToken by ReadBearerToken.
	BearerTokenFile string
	// StartupSLO is the 99th percentile of pod startup latency the
	// NodeCapacity specs hold the node to.
	StartupSLO time.Duration
}

// RegisterNodeFlags registers the node flags of the conformance binary on fs
// and puts the framework in node-e2e mode, as upstream's node suite does.
func RegisterNodeFlags(fs *flag.FlagSet) {
	e2eframework.TestContext.NodeE2E = true
	fs.StringVar(&NodeContext.GivenNodeName, "node-name", "", "Name of the node under test (default: the only registered node).")
	fs.Var(cliflag.NewMapStringString(&e2eframework.TestContext.ExtraEnvs), "extra-envs",
		"Environment variables set for the specs, as key=value pairs: env1=val1,env2=val2.")
	fs.StringVar(&NodeContext.StaticPodDir, "static-pod-dir", "",
		"The kubelet's static pod directory ($CONFIG_DIR), mounted at the same path where the specs run.")
	fs.StringVar(&NodeContext.RuntimeHandler, "runtime-handler", "",
		"The CRI runtime handler node-test's own specs run their pods with, through a RuntimeClass node-test creates "+
			"(default: the runtime's default handler). The official specs always use the default handler.")
	fs.StringVar(&NodeContext.BearerTokenFile, "bearer-token-file", "",
		"File of the bearer token to present to the API server (--host): a service account's in a cluster.")
	fs.Float64Var(&NodeContext.CapacityRate, "node-capacity-rate", 1,
		"Pods a second the NodeCapacity specs create while they fill the node.")
	fs.DurationVar(&NodeContext.StartupSLO, "startup-slo", 5*time.Second,
		"The 99th percentile of pod startup latency (creation to running, images present) the NodeCapacity specs allow: "+
			"the default is the Kubernetes pod startup SLO.")
}

// CompleteFlags sets the framework's node name from --node-name and its
// bearer token from --bearer-token-file; it must run before the framework
// reads its flags (AfterReadingAllFlags), which otherwise makes up a random
// token.
func CompleteFlags() error {
	e2eframework.TestContext.NodeName = NodeContext.GivenNodeName
	if NodeContext.BearerTokenFile == "" {
		return nil
	}
	b, err := os.ReadFile(NodeContext.BearerTokenFile)
	if err != nil {
		return fmt.Errorf("--bearer-token-file: %w", err)
	}
	e2eframework.TestContext.BearerToken = strings.TrimSpace(string(b))
	return nil
}

// NodeNamespaceLabel marks each namespace the specs create with the name
// of the node under test, so that a run in a cluster, where other nodes'
// runs create theirs at the same time, deletes only its own.
const NodeNamespaceLabel = "node-test.io/node"

func init() {
	e2eframework.TestContext.CreateTestingNS = func(ctx context.Context, baseName string, c clientset.Interface, labels map[string]string) (*v1.Namespace, error) {
		if node := e2eframework.TestContext.NodeName; node != "" {
			if labels == nil {
				labels = map[string]string{}
			}
			labels[NodeNamespaceLabel] = LabelValue(node)
		}
		return e2eframework.CreateTestingNS(ctx, baseName, c, labels)
	}
}

// LabelValue is s as a label value: at most 63 characters, which a node's
// name (a DNS subdomain of up to 253) may exceed.
func LabelValue(s string) string {
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], ".-_")
	}
	return s
}
