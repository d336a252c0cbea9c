package cluster

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/node-test/node-test/results"
	"github.com/node-test/node-test/runner/controlplane"
)

// startCluster starts the local control plane on kernel-chosen ports as a
// cluster to certify: its nodes are Node objects the test registers.
func startCluster(t *testing.T, rbac bool) (*rest.Config, kubernetes.Interface, *controlplane.ControlPlane) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: starts etcd and kube-apiserver in process; skipped with -short")
	}
	cfg := controlplane.NewConfig()
	cfg.InsecureAddress, cfg.SecurePort = "127.0.0.1:0", 0
	cfg.TempDir, cfg.LogDir = t.TempDir(), t.TempDir()
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	cfg.RBAC = rbac
	cp, err := controlplane.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := cp.Stop(); err != nil {
			t.Error(err)
		}
	})
	rc := &rest.Config{Host: cp.InsecureURL()}
	return rc, kubernetes.NewForConfigOrDie(rc), cp
}

// registerNode registers a Node whose Ready condition is ready, with no
// kubelet behind it.
func registerNode(t *testing.T, c kubernetes.Interface, name string, ready v1.ConditionStatus, labels map[string]string) {
	t.Helper()
	n, err := c.CoreV1().Nodes().Create(t.Context(), &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Status.Conditions = []v1.NodeCondition{{Type: v1.NodeReady, Status: ready, Reason: "KubeletNotReady", Message: "container runtime network not ready"}}
	if _, err := c.CoreV1().Nodes().UpdateStatus(t.Context(), n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// Three nodes no pod can run on: one NotReady, whose pod is not even
// created, and two Ready whose kubelets never start their pods, one at a
// time (--max-parallel 1). Each gets a failed JUnit saying why, the
// fleet's summary says FAIL for all, and nothing of the run is left in the
// cluster: namespace, pods (deleted by force, as no kubelet ends them),
// ClusterRole, ClusterRoleBinding.
func TestIntegrationNodesThatCannotRun(t *testing.T) {
	restCfg, c, _ := startCluster(t, false)
	registerNode(t, c, "ready-a", v1.ConditionTrue, map[string]string{"pool": "new"})
	registerNode(t, c, "down-b", v1.ConditionFalse, map[string]string{"pool": "new"})
	registerNode(t, c, "other-c", v1.ConditionTrue, map[string]string{"pool": "old"})
	registerNode(t, c, "ready-d", v1.ConditionTrue, map[string]string{"pool": "new"})

	cfg := NewConfig()
	cfg.Image = "registry.invalid/node-test:v0"
	cfg.Nodes = "pool=new"
	cfg.OutDir = filepath.Join(t.TempDir(), "out")
	cfg.StartTimeout, cfg.PodGrace = 3*time.Second, 2*time.Second
	cfg.MaxParallel = 1
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	var seenPod *v1.Pod
	seenNodes, mostAtOnce := map[string]bool{}, 0
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		// The pod while it waits: pinned to its node, never to other-c.
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			pods, err := c.CoreV1().Pods("").List(t.Context(), metav1.ListOptions{LabelSelector: ManagedByLabel + "=" + ManagedBy})
			if err != nil {
				continue
			}
			running := 0
			for _, p := range pods.Items {
				seenNodes[p.Spec.NodeName] = true
				if p.DeletionTimestamp == nil {
					running++
				}
			}
			mostAtOnce = max(mostAtOnce, running)
			if len(pods.Items) > 0 && seenPod == nil {
				seenPod = pods.Items[0].DeepCopy()
				// As upstream's PodOverhead spec does, and leaves it.
				if _, err := c.NodeV1().RuntimeClasses().Create(t.Context(), &nodev1.RuntimeClass{
					ObjectMeta: metav1.ObjectMeta{Name: upstreamRuntimeClass}, Handler: upstreamRuntimeClass}, metav1.CreateOptions{}); err != nil {
					t.Error(err)
				}
			}
		}
	}()
	fleet, err := Run(t.Context(), cfg, restCfg)
	close(stop)
	<-done
	if !errors.Is(err, ErrNodesFailed) {
		t.Fatalf("Run() = %v, want ErrNodesFailed", err)
	}
	if fleet.Verdict != results.VerdictFail || len(fleet.Nodes) != 3 {
		t.Fatalf("fleet %+v", fleet)
	}
	reasons := map[string]string{}
	for _, n := range fleet.Nodes {
		reasons[n.Node] = n.Reason
	}
	if !strings.Contains(reasons["down-b"], "the node is NotReady: Ready is False (KubeletNotReady: container runtime network not ready)") {
		t.Errorf("down-b: %q", reasons["down-b"])
	}
	for _, n := range []string{"ready-a", "ready-d"} {
		if !strings.Contains(reasons[n], "its pod did not start within 3s") {
			t.Errorf("%s: %q", n, reasons[n])
		}
	}
	if seenPod == nil || !seenNodes["ready-a"] || !seenNodes["ready-d"] || len(seenNodes) != 2 {
		t.Errorf("pods seen on nodes %v, the first %+v", seenNodes, seenPod)
	}
	if mostAtOnce != 1 {
		t.Errorf("--max-parallel 1: %d pods at once", mostAtOnce)
	}
	for node, reason := range reasons {
		r, err := results.Load(filepath.Join(cfg.OutDir, node))
		if err != nil {
			t.Fatal(err)
		}
		cases := r.Cases()
		if len(cases) != 1 || cases[0].Status != results.StatusFailed || cases[0].Message != reason {
			t.Errorf("%s's JUnit: %+v", node, cases)
		}
	}
	sum, err := os.ReadFile(filepath.Join(cfg.OutDir, results.SummaryFile))
	if err != nil || !strings.HasPrefix(string(sum), "FAIL: 0 of 3 nodes passed\n") {
		t.Errorf("summary.txt: %q, %v", sum, err)
	}
	assertNothingLeft(t, c)
	if _, err := c.NodeV1().RuntimeClasses().Get(t.Context(), upstreamRuntimeClass, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the RuntimeClass the specs left: %v, want it deleted", err)
	}

	// The same out directory again: the run's own files are replaced,
	// and a file of the user's where a node's directory goes is refused
	// before anything is created in the cluster. A RuntimeClass the
	// cluster had before the run stays.
	if _, err := c.NodeV1().RuntimeClasses().Create(t.Context(), &nodev1.RuntimeClass{
		ObjectMeta: metav1.ObjectMeta{Name: upstreamRuntimeClass}, Handler: "runc"}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(t.Context(), cfg, restCfg); !errors.Is(err, ErrNodesFailed) {
		t.Fatalf("second Run() = %v, want ErrNodesFailed", err)
	}
	if rc, err := c.NodeV1().RuntimeClasses().Get(t.Context(), upstreamRuntimeClass, metav1.GetOptions{}); err != nil || rc.Handler != "runc" {
		t.Errorf("the cluster's own RuntimeClass %s: %v, %v", upstreamRuntimeClass, rc, err)
	}
	os.RemoveAll(filepath.Join(cfg.OutDir, "down-b"))
	os.WriteFile(filepath.Join(cfg.OutDir, "down-b"), []byte("mine"), 0o644)
	os.WriteFile(filepath.Join(cfg.OutDir, results.RunManifest), []byte("junit_01.xml\n"), 0o644)
	if _, err := Run(t.Context(), cfg, restCfg); !errors.Is(err, results.ErrForeignFiles) {
		t.Errorf("Run() over a file of the user's = %v, want ErrForeignFiles", err)
	}
	if b, _ := os.ReadFile(filepath.Join(cfg.OutDir, "down-b")); string(b) != "mine" {
		t.Errorf("the user's file holds %q", b)
	}
	assertNothingLeft(t, c)

	cfg.Nodes = "pool=none"
	if _, err := Run(t.Context(), cfg, restCfg); err == nil || !strings.Contains(err.Error(), `no node of the cluster at`) ||
		!strings.Contains(err.Error(), `matches --nodes="pool=none" (kubectl get nodes -l 'pool=none'`) {
		t.Errorf("Run() with a selector no node matches = %v", err)
	}
}

// assertNothingLeft fails if anything node-test cluster creates is left.
func assertNothingLeft(t *testing.T, c kubernetes.Interface) {
	t.Helper()
	sel := metav1.ListOptions{LabelSelector: ManagedByLabel + "=" + ManagedBy}
	if l, err := c.CoreV1().Namespaces().List(t.Context(), sel); err != nil || len(l.Items) > 0 {
		t.Errorf("namespaces left: %v %v", l, err)
	}
	if l, err := c.CoreV1().Pods("").List(t.Context(), sel); err != nil || len(l.Items) > 0 {
		t.Errorf("pods left: %v %v", l, err)
	}
	if l, err := c.RbacV1().ClusterRoles().List(t.Context(), sel); err != nil || len(l.Items) > 0 {
		t.Errorf("ClusterRoles left: %v %v", l, err)
	}
	if l, err := c.RbacV1().ClusterRoleBindings().List(t.Context(), sel); err != nil || len(l.Items) > 0 {
		t.Errorf("ClusterRoleBindings left: %v %v", l, err)
	}
}

// A user RBAC does not let list nodes or create namespaces and RBAC is
// refused before anything is created, told what node-test cluster needs.
func TestIntegrationRBACRefused(t *testing.T) {
	_, admin, cp := startCluster(t, true)
	registerNode(t, admin, "node-a", v1.ConditionTrue, nil)
	if _, err := admin.CoreV1().ServiceAccounts("default").Create(t.Context(), &v1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "viewer"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tok, err := admin.CoreV1().ServiceAccounts("default").CreateToken(t.Context(), "viewer", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	user := &rest.Config{Host: cp.SecureURL(), BearerToken: tok.Status.Token, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
	cfg := NewConfig()
	cfg.Image = "node-test:v1"
	cfg.OutDir = filepath.Join(t.TempDir(), "out")
	_, err = Run(t.Context(), cfg, user)
	if err == nil || !strings.Contains(err.Error(), "forbidden") || !strings.Contains(err.Error(), "node-test cluster needs a user that may list nodes") {
		t.Fatalf("Run() as a user without rights = %v", err)
	}
	// Allowed to list nodes and create namespaces, nothing else: refused at
	// the service account, and the namespace it created is gone.
	if _, err := admin.RbacV1().ClusterRoles().Create(t.Context(), &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: "viewer-nodes"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes", "namespaces"}, Verbs: []string{"list", "get", "create", "delete"}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(t.Context(), &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "viewer-nodes"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "viewer-nodes"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "viewer", Namespace: "default"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := kubernetes.NewForConfigOrDie(user).CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		return err == nil, nil
	}); err != nil {
		t.Fatal("the viewer's RBAC did not take effect")
	}
	_, err = Run(t.Context(), cfg, user)
	if err == nil || !strings.Contains(err.Error(), "forbidden") || !strings.Contains(err.Error(), "create the service account") {
		t.Fatalf("Run() as a user who may create namespaces only = %v", err)
	}
	assertNothingLeft(t, admin)
}
