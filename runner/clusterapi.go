package runner

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/node-test/node-test/runner/validate"
)

// ServiceAccountDir is where a pod's service account credentials are.
const ServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount"

// clusterAPIPhase stands for the control plane in cluster mode: the
// cluster's API server, reached with the pod's service account, in which
// the node must already be registered: its kubelet reports to this cluster.
type clusterAPIPhase struct {
	// saDir is ServiceAccountDir, another in tests.
	saDir string
}

func (*clusterAPIPhase) Name() string { return "cluster API server" }

func (p *clusterAPIPhase) Run(ctx context.Context, rc *RunContext) error {
	dir := p.saDir
	if dir == "" {
		dir = ServiceAccountDir
	}
	cfg, err := ClusterConfig(rc.Config.APIServer, dir, os.Getenv)
	if err != nil {
		return err
	}
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return fmt.Errorf("create API client: %w", err)
	}
	v, err := c.Discovery().ServerVersion()
	if err != nil {
		return fmt.Errorf("the cluster's API server at %s: %w (node-test's pod asks for the host's network: a runtime that gives it another cannot reach it; a node that reaches it at another address: node-test cluster --api-server)", cfg.Host, err)
	}
	rc.mu.Lock()
	rc.APIURL, rc.TokenFile, rc.Client, rc.serverVersion = cfg.Host, filepath.Join(dir, "token"), c, v.GitVersion
	rc.mu.Unlock()
	rc.Logger.Info("the cluster's API server", "url", cfg.Host, "version", v.GitVersion)
	rc.addCheck(checkRegistered(ctx, c, rc.Config.NodeName, cfg.Host))
	// A run of this node that was killed left what its teardown would
	// have deleted; other nodes' are not this run's.
	return deleteLeftovers(ctx, rc)
}

func (*clusterAPIPhase) Stop(ctx context.Context, rc *RunContext) error {
	if rc.Client == nil {
		return nil
	}
	return deleteLeftovers(ctx, rc)
}

// ClusterConfig is the client configuration of a pod's service account
// (its token and CA in saDir), at server, or without it at the in-cluster
// address the kubelet gives every pod (KUBERNETES_SERVICE_HOST and _PORT).
func ClusterConfig(server, saDir string, getenv func(string) string) (*rest.Config, error) {
	if server == "" {
		h, port := getenv("KUBERNETES_SERVICE_HOST"), getenv("KUBERNETES_SERVICE_PORT")
		if h == "" || port == "" {
			return nil, fmt.Errorf("cluster mode without --api-server (NODE_TEST_API_SERVER) needs the in-cluster address, KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT: run it in a pod (node-test cluster), or give --api-server")
		}
		server = "https://" + net.JoinHostPort(h, port)
	}
	token := filepath.Join(saDir, "token")
	if _, err := os.Stat(token); err != nil {
		return nil, fmt.Errorf("cluster mode needs the pod's service account token: %w (node-test cluster runs node-test run with one)", err)
	}
	cfg := &rest.Config{Host: server, BearerTokenFile: token, QPS: 50, Burst: 100}
	if ca := filepath.Join(saDir, "ca.crt"); fileExists(ca) {
		cfg.CAFile = ca
	} else {
		// node-test cluster had no CA to give (its kubeconfig skips
		// verification): as the specs do in node e2e mode.
		cfg.Insecure = true
	}
	return cfg, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// checkRegistered is the cluster's equivalent of the kubelet's API server
// check: the node must be registered with this cluster, as its kubelet
// reports to it.
func checkRegistered(ctx context.Context, c kubernetes.Interface, node, server string) validate.Check {
	ch := validate.Check{Area: validate.AreaKubelet, Name: "API server"}
	_, err := c.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
	switch {
	case err == nil:
		ch.Verdict, ch.Message = validate.Pass, fmt.Sprintf("node %s is registered with this cluster's API server (%s): its kubelet reports to it", node, server)
	case apierrors.IsNotFound(err):
		ch.Verdict, ch.Message = validate.Fail, fmt.Sprintf("node %s is not registered with this cluster's API server (%s)", node, server)
		ch.Fix = "point the node's kubelet at this cluster (its kubeconfig's server), or certify the node with the cluster it belongs to"
	default:
		ch.Verdict, ch.Message = validate.Fail, fmt.Sprintf("node %s could not be read from %s: %v", node, server, err)
		ch.Fix = "grant node-test's service account get on nodes (node-test cluster does)"
	}
	return ch
}

// clusterChecks are the host's checks in cluster mode: those that assume
// the local recipe give way to their cluster equivalents, which the
// cluster API server phase and the node facts run.
func clusterChecks(checks []validate.Check, logger *slog.Logger) []validate.Check {
	out := checks[:0]
	for _, c := range checks {
		if c.Area == validate.AreaKubelet && (c.Name == "API server" || c.Name == "cloud provider") {
			logger.Debug("host check left to its cluster equivalent", "check", c.Title())
			if c.Name == "cloud provider" {
				c.Verdict, c.Fix = validate.NotApplicable, ""
				c.Message = "in a cluster the kubelet may run with its cloud provider: " + strings.TrimPrefix(c.Message, "the kubelet runs with ")
			} else {
				continue
			}
		}
		out = append(out, c)
	}
	return out
}
