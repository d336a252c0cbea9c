package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"github.com/spf13/cobra"
	v1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/node-test/node-test/results"
	"github.com/node-test/node-test/runner"
	"github.com/node-test/node-test/runner/cluster"
)

const clusterHelp = `Certify the nodes of an existing cluster, with the cluster itself as the
engine: in a namespace of its own, one privileged pod of the node-test image
per node (--image, which the nodes must be able to pull), pinned to the node,
runs node-test run in cluster mode there: the node's / at /rootfs, as the
documented docker run has it (the run mounts the kubelet's static pod
directory at its own path itself), and the cluster's API server, reached with
a service account this command grants what the specs need. Each node's junit_01.xml, summary,
report.html and host logs come back into OUT/<node>/; OUT holds the summary of
all nodes. Everything created in the cluster is deleted at the end, also on
SIGINT/SIGTERM: interrupted, or past --timeout, each node's run is
interrupted in turn and its report of what ran collected first (a second
SIGINT skips that wait).

The kubeconfig is found as kubectl finds it: --kubeconfig, $KUBECONFIG,
~/.kube/config. FOCUS, SKIP, PARALLELISM, FLAKE_ATTEMPTS, TEST_ARGS and
EXTRA_ENVS, when set, are passed to every node's run.

Exit codes: 0 every node passed, 1 a node failed (or was not certified: its
JUnit says why), 2 bad input or the cluster refused what the command needs.`

// passedEnv are the variables of the node-test run contract passed to each
// node's run.
var passedEnv = []string{"FOCUS", "SKIP", "PARALLELISM", "FLAKE_ATTEMPTS", "TEST_ARGS", "EXTRA_ENVS"}

func newClusterCommand(logger *slog.Logger, streams Streams) *cobra.Command {
	cfg := cluster.NewConfig()
	var (
		kubeconfig  string
		pullPolicy  string
		tolerations []string
	)
	cmd := &cobra.Command{
		Use:   "cluster",
		Short: "Certify the nodes of an existing cluster: a pod of node-test per node, reports collected into --out",
		Long:  clusterHelp,
		Args:  cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			cfg.Logger, cfg.Out = logger, streams.Out
			fleet, err := runCluster(c.Context(), cfg, kubeconfig, pullPolicy, tolerations)
			if fleet != nil {
				fmt.Fprintf(streams.Out, "%s\n", fleet.Headline())
				for _, n := range fleet.Nodes {
					fmt.Fprintln(streams.Out, n.Row())
				}
				fmt.Fprintf(streams.Out, "reports: %s/<node>/, summary: %s/summary.txt\n", cfg.OutDir, cfg.OutDir)
			}
			switch {
			case errors.Is(err, cluster.ErrNodesFailed):
				return fmt.Errorf("%w: %w", ErrReportVerdict, err)
			case err != nil && fleet == nil && !errors.Is(err, results.ErrForeignFiles):
				// Refused before any node: the out directory's JUnit says why.
				return writeRefusal(cfg.OutDir, results.About{NodeTest: runner.Build(), Kubernetes: runner.KubernetesVersion}, err)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&kubeconfig, "kubeconfig", "", "the cluster's kubeconfig (default: $KUBECONFIG, then ~/.kube/config, as kubectl)")
	f.StringVar(&cfg.Nodes, "nodes", cfg.Nodes, "label selector of the nodes to certify (default: all), as kubectl get nodes -l")
	f.IntVar(&cfg.MaxParallel, "max-parallel", cfg.MaxParallel, "nodes certified at once (0: all)")
	f.StringVar(&cfg.Image, "image", cfg.Image, "the node-test image the nodes pull (node-test images push REF puts it into your registry)")
	f.StringVar(&pullPolicy, "pull-policy", string(cfg.PullPolicy), "the image's pull policy on the nodes: Always, IfNotPresent or Never")
	f.StringVar(&cfg.OutDir, "out", cfg.OutDir, "directory for the reports: <out>/<node>/ each, and the summary of all")
	f.StringArrayVar(&tolerations, "toleration", nil, "a taint the pods tolerate, key[=value]:Effect (Effect empty: all), or all; repeat for more")
	f.StringVar(&cfg.APIServer, "api-server", cfg.APIServer, "the API server's https:// URL as the nodes reach it (default: the in-cluster address, the kubernetes service)")
	f.DurationVar(&cfg.StartTimeout, "start-timeout", cfg.StartTimeout, "how long a node's pod may take to start, its image pulled")
	f.DurationVar(&cfg.Timeout, "timeout", cfg.Timeout, "how long a node's certification may take")
	return cmd
}

// runCluster completes cfg from the flags and the environment and certifies
// the cluster's nodes.
func runCluster(ctx context.Context, cfg *cluster.Config, kubeconfig, pullPolicy string, tolerations []string) (*results.Fleet, error) {
	cfg.PullPolicy = v1.PullPolicy(pullPolicy)
	for _, t := range tolerations {
		tol, err := cluster.ParseToleration(t)
		if err != nil {
			return nil, fmt.Errorf("--toleration: %w", err)
		}
		cfg.Tolerations = append(cfg.Tolerations, tol)
	}
	for _, name := range passedEnv {
		if v, ok := os.LookupEnv(name); ok {
			cfg.Env = append(cfg.Env, [2]string{name, v})
		}
	}
	if v, ok := os.LookupEnv("PARALLELISM"); ok {
		if n, err := strconv.Atoi(v); err != nil || n < 1 {
			return nil, fmt.Errorf("PARALLELISM must be a number of at least 1, got %q", v)
		}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	restCfg, err := LoadKubeconfig(kubeconfig)
	if err != nil {
		return nil, err
	}
	return cluster.Run(ctx, cfg, restCfg)
}

// LoadKubeconfig loads the client configuration as kubectl does: path, or
// $KUBECONFIG, or ~/.kube/config.
func LoadKubeconfig(path string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = path
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{})
	cfg, err := cc.ClientConfig()
	if err != nil {
		where := path
		if where == "" {
			where = "$KUBECONFIG or " + clientcmd.RecommendedHomeFile
		}
		return nil, fmt.Errorf("no usable kubeconfig (%s): %w: give --kubeconfig, or set KUBECONFIG, as for kubectl", where, err)
	}
	return cfg, nil
}
