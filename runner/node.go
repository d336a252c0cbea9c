package runner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/node-test/node-test/runner/host"
)

// ErrNodeNotReady means the node did not register or become Ready in time.
var ErrNodeNotReady = errors.New("node not ready")

// kubeletHealthz is the kubelet's default healthz endpoint; the runner
// shares the host's network.
const kubeletHealthz = "http://127.0.0.1:10248/healthz"

// staleAfter is how long a running kubelet gets to show its Node before
// the wait says why it may not.
const staleAfter = 20 * time.Second

// StateDir is where, on the host, the local control plane keeps its store
// from run to run (see controlplane.Config.DataDir).
const StateDir = "/var/lib/node-test/etcd"

// WaitForNode waits until the node called name (or, with no name, the only
// node) is registered and Ready, and returns its name.
//
// A kubelet registers its Node once, when it starts, and afterwards only
// updates it. The control plane keeps its store in StateDir so that this
// works run after run; a kubelet that registered with a store since wiped
// never shows its Node again until it restarts, and the error says so.
func WaitForNode(ctx context.Context, c kubernetes.Interface, name string, timeout time.Duration, logger *slog.Logger) (string, error) {
	start := time.Now()
	hinted := false
	var last string
	err := wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		nodes, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			last = fmt.Sprintf("list nodes: %v", err)
			return false, nil
		}
		var node *v1.Node
		switch {
		case name != "":
			for i := range nodes.Items {
				if nodes.Items[i].Name == name {
					node = &nodes.Items[i]
				}
			}
		case len(nodes.Items) == 1:
			node = &nodes.Items[0]
		case len(nodes.Items) > 1:
			return false, fmt.Errorf("%d nodes registered: name the one under test with --node-name", len(nodes.Items))
		}
		if node == nil {
			last = "no node registered"
			if !hinted && time.Since(start) > staleAfter && kubeletAlive(ctx) {
				hinted = true
				last = "no node registered although the kubelet answers on " + kubeletHealthz +
					": if it registered with an earlier control plane whose state (" + StateDir + ") is gone, restart the kubelet"
				logger.Warn(last)
			}
			return false, nil
		}
		name = node.Name
		if ready, why := nodeReady(node); !ready {
			last = fmt.Sprintf("node %s registered but not Ready: %s", node.Name, why)
			return false, nil
		}
		// The store outlives runs: a Node that was Ready then stays Ready with
		// no kubelet behind it. Only a lease renewed since this wait began
		// shows a kubelet talking to this control plane.
		if renewed, why := leaseRenewedSince(ctx, c, node.Name, start); !renewed {
			last = fmt.Sprintf("node %s is Ready in the store, but %s", node.Name, why)
			return false, nil
		}
		return true, nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("wait for node: %w", context.Cause(ctx))
		}
		return "", fmt.Errorf("%w after %s (%s). Check that the kubelet is running, that its kubeconfig's server is http://localhost:8080 "+
			"(or https://127.0.0.1:6443 with --bearer-token), and that --cloud-provider was removed from its flags, as the node "+
			"conformance documentation requires", ErrNodeNotReady, timeout, last)
	}
	logger.Info("node ready", "node", name, "took", time.Since(start).Round(time.Millisecond))
	return name, nil
}

// leaseRenewedSince reports whether the node's kubelet renewed its lease
// (every 10 s by default) after t.
func leaseRenewedSince(ctx context.Context, c kubernetes.Interface, node string, t time.Time) (bool, string) {
	lease, err := c.CoordinationV1().Leases(v1.NamespaceNodeLease).Get(ctx, node, metav1.GetOptions{})
	if err != nil {
		return false, fmt.Sprintf("its lease cannot be read: %v", err)
	}
	if rt := lease.Spec.RenewTime; rt == nil || rt.Time.Before(t.Add(-time.Second)) {
		return false, "its kubelet has not renewed its lease since the control plane started"
	}
	return true, ""
}

func nodeReady(n *v1.Node) (bool, string) {
	for _, c := range n.Status.Conditions {
		if c.Type == v1.NodeReady {
			return c.Status == v1.ConditionTrue, fmt.Sprintf("%s: %s", c.Reason, c.Message)
		}
	}
	return false, "no Ready condition yet"
}

func kubeletAlive(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, kubeletHealthz, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// testNamespaceLabel marks the namespaces the e2e framework creates.
const testNamespaceLabel = "e2e-framework"

// NodeNamespaceLabel marks, with the node's name, the namespaces the specs
// create (conformance.test labels them): in a cluster, a run deletes only
// its own node's.
const NodeNamespaceLabel = "node-test.io/node"

// TestNamespaces is the label selector of the specs' namespaces: all of
// them in the local control plane, which only runs of this node use; only
// node's when node is not empty.
func TestNamespaces(node string) string {
	if node == "" {
		return testNamespaceLabel
	}
	return testNamespaceLabel + "," + NodeNamespaceLabel + "=" + LabelValue(node)
}

// LabelValue is s as a label value: at most 63 characters, which a node's
// name (a DNS subdomain of up to 253) may exceed.
func LabelValue(s string) string {
	if len(s) > 63 {
		s = strings.TrimRight(s[:63], ".-_")
	}
	return s
}

// DeleteTestNamespaces deletes the namespaces the specs created and left
// (an interrupted run leaves some) that match selector (TestNamespaces)
// and waits for them to go, so the kubelet removes their pods before the
// control plane stops.
func DeleteTestNamespaces(ctx context.Context, c kubernetes.Interface, selector string, logger *slog.Logger) error {
	sel := metav1.ListOptions{LabelSelector: selector}
	nss, err := c.CoreV1().Namespaces().List(ctx, sel)
	if err != nil {
		return fmt.Errorf("list test namespaces: %w", err)
	}
	if len(nss.Items) == 0 {
		return nil
	}
	logger.Info("deleting test namespaces left by the specs", "count", len(nss.Items))
	for _, ns := range nss.Items {
		if err := c.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete namespace %s: %w", ns.Name, err)
		}
	}
	return wait.PollUntilContextTimeout(ctx, time.Second, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		left, err := c.CoreV1().Namespaces().List(ctx, sel)
		return err == nil && len(left.Items) == 0, nil
	})
}

// DeleteRuntimeClasses deletes every RuntimeClass of the local control
// plane, whose store holds only what runs created: node-test's own for
// --runtime-handler, and those specs create and leave, such as upstream's
// PodOverhead spec's test-handler, which the next run would fail to create
// again.
func DeleteRuntimeClasses(ctx context.Context, c kubernetes.Interface, logger *slog.Logger) error {
	rcs, err := c.NodeV1().RuntimeClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("list RuntimeClasses: %w", err)
	}
	for _, rc := range rcs.Items {
		if err := c.NodeV1().RuntimeClasses().Delete(ctx, rc.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete RuntimeClass %s: %w", rc.Name, err)
		}
		logger.Info("deleted a RuntimeClass left in the control plane", "name", rc.Name)
	}
	return nil
}

// RemoveStaticPods removes from the kubelet's static pod directory dir (a
// host path) the manifests of pods in the specs' namespaces, so that the
// kubelet stops them: a manifest a spec writes there outlives the spec's
// process, and a run interrupted or killed would leave its static pods
// running on the node. A manifest of any other namespace is the node's own,
// and stays. It returns the host paths it removed.
func RemoveStaticPods(ctx context.Context, c kubernetes.Interface, h *host.Host, dir, selector string) ([]string, error) {
	if dir == "" || h == nil {
		return nil, nil
	}
	nss, err := c.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: selector})
	if err != nil {
		return nil, fmt.Errorf("list test namespaces: %w", err)
	}
	test := map[string]bool{}
	for _, ns := range nss.Items {
		test[ns.Name] = true
	}
	entries, err := os.ReadDir(h.Path(dir))
	if err != nil {
		return nil, fmt.Errorf("read the static pod directory %s: %w", dir, err)
	}
	var removed []string
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		p := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(h.Path(p))
		if err != nil {
			continue
		}
		var pod v1.Pod
		if err := yaml.Unmarshal(b, &pod); err != nil || !test[pod.Namespace] {
			continue
		}
		if err := os.Remove(h.Path(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("remove the static pod manifest %s: %w", p, err)
		}
		removed = append(removed, p)
	}
	return removed, nil
}
