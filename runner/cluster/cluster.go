package cluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/node-test/node-test/results"
	"github.com/node-test/node-test/runner"
)

// Config is what node-test cluster certifies and how.
type Config struct {
	// Nodes is a label selector of the nodes to certify; empty: all.
	Nodes string
	// MaxParallel is how many nodes are certified at once; 0: all.
	MaxParallel int
	// Image is the node-test image the cluster's nodes pull.
	Image      string
	PullPolicy v1.PullPolicy
	// OutDir receives a directory per node and the fleet's summary.
	OutDir      string
	Tolerations []v1.Toleration
	// APIServer is the URL the nodes' pods reach the API server at; empty:
	// the in-cluster address (the kubernetes service).
	APIServer string
	// Env is passed to each node's run: FOCUS, SKIP, PARALLELISM,
	// FLAKE_ATTEMPTS, TEST_ARGS, EXTRA_ENVS as given, name and value.
	Env [][2]string
	// StartTimeout bounds how long a node's pod may take to start (its
	// image pulled); Timeout a node's whole certification.
	StartTimeout, Timeout time.Duration
	// PodGrace is how long the cleanup waits for the pods to end before it
	// deletes them by force.
	PodGrace time.Duration
	Logger   *slog.Logger
	// Out receives each node's progress, a line at a time, prefixed by the
	// node's name.
	Out io.Writer
}

// NewConfig returns the defaults.
func NewConfig() *Config {
	return &Config{
		PullPolicy:   v1.PullIfNotPresent,
		StartTimeout: 5 * time.Minute,
		Timeout:      3 * time.Hour,
		PodGrace:     3 * time.Minute,
		OutDir:       "node-test-results",
	}
}

// Validate reports every bad field at once, each with its fix.
func (c *Config) Validate() error {
	var errs []error
	if c.Image == "" {
		errs = append(errs, errors.New("--image is empty: name the node-test image the cluster's nodes can pull (node-test images push puts it into your registry)"))
	}
	if c.MaxParallel < 0 {
		errs = append(errs, fmt.Errorf("--max-parallel must be 0 (all nodes at once) or more, got %d", c.MaxParallel))
	}
	if _, err := labels.Parse(c.Nodes); err != nil {
		errs = append(errs, fmt.Errorf("--nodes %q is not a label selector: %w (kubectl get nodes -l '%s' takes the same)", c.Nodes, err, c.Nodes))
	}
	switch c.PullPolicy {
	case v1.PullAlways, v1.PullIfNotPresent, v1.PullNever:
	default:
		errs = append(errs, fmt.Errorf("--pull-policy %q is none of Always, IfNotPresent, Never", c.PullPolicy))
	}
	if c.StartTimeout <= 0 || c.Timeout <= 0 || c.PodGrace <= 0 {
		errs = append(errs, errors.New("--start-timeout, --timeout and the pods' grace must be positive"))
	}
	return errors.Join(errs...)
}

// ErrNodesFailed means some node did not pass; each has its report.
var ErrNodesFailed = errors.New("not every node passed")

// Run certifies the nodes: it creates the run's namespace, service
// account and RBAC, a pod per node at most MaxParallel at a time, collects
// each node's report into OutDir/<node>/, writes the fleet's summary in
// OutDir, and deletes everything it created, also when ctx is cancelled.
// It returns ErrNodesFailed when a node did not pass.
func Run(ctx context.Context, cfg *Config, restCfg *rest.Config) (*results.Fleet, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	// Each node followed polls its pod and streams its log: client-go's
	// default of 5 requests a second would hold a fleet back.
	restCfg = rest.CopyConfig(restCfg)
	if restCfg.QPS == 0 {
		restCfg.QPS, restCfg.Burst = 50, 100
	}
	client, err := kubernetes.NewForConfig(restCfg)
	if err != nil {
		return nil, fmt.Errorf("API client: %w", err)
	}
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: cfg.Nodes})
	if apierrors.IsForbidden(err) {
		return nil, refused("list the cluster's nodes at "+restCfg.Host, err)
	}
	if err != nil {
		return nil, fmt.Errorf("list the cluster's nodes at %s: %w (check the kubeconfig: kubectl get nodes)", restCfg.Host, err)
	}
	if len(nodes.Items) == 0 {
		if cfg.Nodes == "" {
			return nil, fmt.Errorf("the cluster at %s has no node", restCfg.Host)
		}
		return nil, fmt.Errorf("no node of the cluster at %s matches --nodes=%q (kubectl get nodes -l '%s' lists the same)", restCfg.Host, cfg.Nodes, cfg.Nodes)
	}
	// The out directory is a report directory: what an earlier run wrote
	// there goes, nothing else; a node's directory must not be the user's.
	for _, n := range nodes.Items {
		if err := results.CheckOwned(cfg.OutDir, n.Name); err != nil {
			return nil, err
		}
	}
	kept, err := results.Clear(cfg.OutDir)
	if err != nil {
		return nil, err
	}
	// Named at once, the nodes' directories with them: a run killed before
	// its end leaves what it wrote to the next run, not as the user's.
	for _, n := range nodes.Items {
		if err := os.MkdirAll(filepath.Join(cfg.OutDir, n.Name), 0o755); err != nil {
			return nil, fmt.Errorf("the out directory: %w", err)
		}
	}
	if err := results.RecordRun(cfg.OutDir, kept, true); err != nil {
		return nil, err
	}
	fleet := &results.Fleet{Image: cfg.Image, Started: time.Now()}
	for _, e := range cfg.Env {
		switch e[0] {
		case "FOCUS":
			fleet.Focus = e[1]
		case "SKIP":
			fleet.Skip = e[1]
		}
	}

	r := &run{cfg: cfg, client: client, rest: restCfg, ns: "node-test-" + rand.String(5)}
	// What the run created is deleted however it ends: with a context of
	// its own, since ctx may be what ended it.
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.PodGrace+2*time.Minute)
		defer cancel()
		if err := r.cleanup(cctx); err != nil {
			cfg.Logger.Warn("deleting what node-test created in the cluster", "error", err.Error())
		}
	}()
	if err := r.setup(ctx); err != nil {
		return nil, err
	}

	fleet.Nodes = make([]results.NodeResult, len(nodes.Items))
	parallel := cfg.MaxParallel
	if parallel == 0 || parallel > len(nodes.Items) {
		parallel = len(nodes.Items)
	}
	slots := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, n := range nodes.Items {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				fleet.Nodes[i] = r.failed(n.Name, time.Now(), "not certified: "+context.Cause(ctx).Error())
				return
			}
			defer func() { <-slots }()
			fleet.Nodes[i] = r.certify(ctx, n)
		}()
	}
	wg.Wait()
	fleet.Finished = time.Now()
	fleet.Verdict = results.FleetVerdict(fleet.Nodes)
	if err := results.WriteFleet(cfg.OutDir, *fleet); err != nil {
		return fleet, err
	}
	if err := results.RecordRun(cfg.OutDir, kept, false); err != nil {
		return fleet, err
	}
	if fleet.Verdict != results.VerdictPass {
		return fleet, fmt.Errorf("%w: %s (%s)", ErrNodesFailed, fleet.Headline(), filepath.Join(cfg.OutDir, results.SummaryFile))
	}
	return fleet, nil
}

type run struct {
	cfg    *Config
	client kubernetes.Interface
	rest   *rest.Config
	ns     string
	outMu  sync.Mutex
	// withCA: the pods get the API server's CA (CAConfigMap).
	withCA bool
	// leavesUpstreamRuntimeClass: the cluster had no upstreamRuntimeClass
	// before the run, so one there at its end is the specs'.
	leavesUpstreamRuntimeClass bool
}

// caOf is the API server's CA in the client configuration, nil if it has
// none (it trusts the system's roots, or skips verification).
func caOf(c *rest.Config) ([]byte, error) {
	if len(c.CAData) > 0 {
		return c.CAData, nil
	}
	if c.CAFile != "" {
		b, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("the kubeconfig's CA: %w", err)
		}
		return b, nil
	}
	return nil, nil
}

// setup creates the namespace, the service account and its RBAC.
func (r *run) setup(ctx context.Context) error {
	if _, err := r.client.CoreV1().Namespaces().Create(ctx, namespace(r.ns), metav1.CreateOptions{}); err != nil {
		return refused("create the namespace "+r.ns, err)
	}
	if _, err := r.client.CoreV1().ServiceAccounts(r.ns).Create(ctx, serviceAccount(r.ns), metav1.CreateOptions{}); err != nil {
		return refused("create the service account "+r.ns+"/"+ServiceAccount, err)
	}
	if ca, err := caOf(r.rest); err != nil {
		return err
	} else if ca != nil {
		if _, err := r.client.CoreV1().ConfigMaps(r.ns).Create(ctx, caConfigMap(r.ns, ca), metav1.CreateOptions{}); err != nil {
			return refused("create the ConfigMap "+r.ns+"/"+CAConfigMap, err)
		}
		r.withCA = true
	}
	if _, err := r.client.RbacV1().ClusterRoles().Create(ctx, clusterRole(r.ns), metav1.CreateOptions{}); err != nil {
		return refused("create the ClusterRole "+r.ns, err)
	}
	if _, err := r.client.RbacV1().ClusterRoleBindings().Create(ctx, clusterRoleBinding(r.ns), metav1.CreateOptions{}); err != nil {
		return refused("create the ClusterRoleBinding "+r.ns, err)
	}
	r.cfg.Logger.Info("created the run's namespace, service account and RBAC", "namespace", r.ns)
	_, err := r.client.NodeV1().RuntimeClasses().Get(ctx, upstreamRuntimeClass, metav1.GetOptions{})
	r.leavesUpstreamRuntimeClass = apierrors.IsNotFound(err)
	return nil
}

// upstreamRuntimeClass is the RuntimeClass upstream's PodOverhead spec
// creates under this fixed name, and leaves: the run deletes it at its end
// unless the cluster had it before. (Two nodes running that spec at once
// collide on it: the second fails, AlreadyExists.)
const upstreamRuntimeClass = "test-handler"

// refused says what the API server refused, and for RBAC what the user
// needs.
func refused(what string, err error) error {
	if apierrors.IsForbidden(err) {
		return fmt.Errorf("%s: %w: node-test cluster needs a user that may list nodes, create namespaces, service accounts, ConfigMaps, pods (and exec into them), ClusterRoles and ClusterRoleBindings, and grant what its ClusterRole holds, as a cluster admin may", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// cleanup deletes everything of the run: its pods (gracefully, then by
// force once PodGrace has passed: a pod on a node whose kubelet is gone
// never ends), its ClusterRoleBinding, ClusterRole and namespace, and
// waits for the namespace to be gone.
func (r *run) cleanup(ctx context.Context) error {
	var errs []error
	pods := r.client.CoreV1().Pods(r.ns)
	if err := pods.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("delete the run's pods: %w", err))
	}
	gone := func(ctx context.Context) (bool, error) {
		l, err := pods.List(ctx, metav1.ListOptions{})
		if apierrors.IsForbidden(err) {
			// A run refused before it created a pod.
			return true, nil
		}
		return err == nil && len(l.Items) == 0, nil
	}
	if err := wait.PollUntilContextTimeout(ctx, time.Second, r.cfg.PodGrace, true, gone); err != nil {
		if l, lerr := pods.List(ctx, metav1.ListOptions{}); lerr == nil {
			for _, p := range l.Items {
				r.cfg.Logger.Warn("a pod of the run did not end: deleted by force (its node's kubelet may still run it)",
					"pod", r.ns+"/"+p.Name, "node", p.Spec.NodeName, "waited", r.cfg.PodGrace)
				if err := pods.Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)}); err != nil && !apierrors.IsNotFound(err) {
					errs = append(errs, err)
				}
			}
		}
	}
	if r.leavesUpstreamRuntimeClass {
		if err := r.client.NodeV1().RuntimeClasses().Delete(ctx, upstreamRuntimeClass, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) && !apierrors.IsForbidden(err) {
			errs = append(errs, err)
		}
	}
	if err := r.client.RbacV1().ClusterRoleBindings().Delete(ctx, r.ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, err)
	}
	if err := r.client.RbacV1().ClusterRoles().Delete(ctx, r.ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, err)
	}
	if err := r.client.CoreV1().Namespaces().Delete(ctx, r.ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, err)
	}
	err := wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := r.client.CoreV1().Namespaces().Get(ctx, r.ns, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("namespace %s still there: %w", r.ns, err))
	}
	if len(errs) == 0 {
		r.cfg.Logger.Info("deleted the run's pods, namespace, service account and RBAC", "namespace", r.ns)
	}
	return errors.Join(errs...)
}

// failed is the result of a node that has no report of its own: its
// directory gets a JUnit of one failed testcase saying why.
func (r *run) failed(node string, start time.Time, reason string) results.NodeResult {
	res := results.NodeResult{Node: node, Verdict: results.VerdictFail, Reason: reason, Seconds: time.Since(start).Seconds(), Dir: node}
	dir := filepath.Join(r.cfg.OutDir, node)
	rep := &results.Report{}
	rep.Add(results.SetupSuite, results.Case{Name: "[node-test] node " + node + " certified in the cluster", Status: results.StatusFailed, Message: reason, Seconds: res.Seconds})
	if err := rep.Write(dir); err != nil {
		r.cfg.Logger.Warn("writing the node's JUnit", "node", node, "error", err.Error())
	}
	r.cfg.Logger.Error("node not certified", "node", node, "reason", reason)
	return res
}

// certify runs node's pod to its end and collects its report.
func (r *run) certify(ctx context.Context, node v1.Node) results.NodeResult {
	start := time.Now()
	name := node.Name
	if ready, why := nodeReady(&node); !ready {
		return r.failed(name, start, "the node is NotReady: "+why+" (node-test certifies a node whose kubelet is up and Ready)")
	}
	ctx, cancel := context.WithTimeoutCause(ctx, r.cfg.Timeout, fmt.Errorf("the node's run took longer than --timeout %v", r.cfg.Timeout))
	defer cancel()
	pods := r.client.CoreV1().Pods(r.ns)
	pod, err := pods.Create(ctx, r.cfg.pod(r.ns, name, r.withCA), metav1.CreateOptions{})
	if err != nil {
		return r.failed(name, start, fmt.Sprintf("its pod could not be created: %v", err))
	}
	defer func() {
		dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer dcancel()
		_ = pods.Delete(dctx, pod.Name, metav1.DeleteOptions{})
	}()
	r.cfg.Logger.Info("node's pod created", "node", name, "pod", r.ns+"/"+pod.Name)
	if err := r.waitStarted(ctx, pod.Name); err != nil {
		return r.failed(name, start, err.Error())
	}
	var since time.Time
	exit, err := r.follow(ctx, name, pod.Name, &since)
	reason := ""
	if err != nil && ctx.Err() != nil && !errors.Is(err, errPodEnded) {
		// Interrupted, or past --timeout: the node's run is interrupted in
		// turn, and its report of what ran until then collected.
		reason = "interrupted before its end: " + context.Cause(ctx).Error()
		r.cfg.Logger.Warn("interrupting the node's run: its report of what ran comes back once it has torn down (a second interrupt skips the wait)",
			"node", name, "cause", context.Cause(ctx).Error())
		ictx, icancel := context.WithTimeout(runner.TeardownContext(ctx), InterruptWait)
		defer icancel()
		ctx = ictx
		if err := r.interrupt(ctx, pod.Name); err != nil {
			return r.failed(name, start, reason+"; "+err.Error())
		}
		if exit, err = r.follow(ctx, name, pod.Name, &since); err != nil {
			return r.failed(name, start, reason+"; its report did not come: "+err.Error())
		}
	}
	if err != nil {
		return r.failed(name, start, err.Error())
	}
	dir := filepath.Join(r.cfg.OutDir, name)
	if err := r.collect(ctx, pod.Name, dir); err != nil {
		return r.failed(name, start, fmt.Sprintf("its run ended (exit code %d) but its report could not be collected: %v", exit, err))
	}
	sum, err := loadSummary(dir)
	if err != nil {
		return r.failed(name, start, fmt.Sprintf("its run ended (exit code %d) without a summary: %v", exit, err))
	}
	res := results.NodeResult{Node: name, Verdict: results.NodeVerdict(sum), Summary: sum, Reason: reason, Seconds: time.Since(start).Seconds(), Dir: name}
	r.cfg.Logger.Info("node certified", "node", name, "verdict", res.Verdict, "specs", sum.Specs.String(), "took", time.Since(start).Round(time.Second))
	return res
}

// nodeReady reports whether the node's Ready condition is True, and if not
// what the condition says.
func nodeReady(n *v1.Node) (bool, string) {
	for _, c := range n.Status.Conditions {
		if c.Type == v1.NodeReady {
			if c.Status == v1.ConditionTrue {
				return true, ""
			}
			return false, fmt.Sprintf("Ready is %s (%s: %s)", c.Status, c.Reason, c.Message)
		}
	}
	return false, "it has no Ready condition"
}

// waitStarted waits for the pod's container to run; a pod that cannot
// start (its image not pullable, a volume the node lacks, a taint not
// tolerated) returns why at once.
func (r *run) waitStarted(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.StartTimeout)
	defer cancel()
	var last string
	for {
		p, err := r.client.CoreV1().Pods(r.ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			if why, bad := cannotStart(p, r.cfg.Image); bad {
				return errors.New(why)
			}
			for _, cs := range p.Status.ContainerStatuses {
				if cs.State.Running != nil || cs.State.Terminated != nil {
					return nil
				}
				if w := cs.State.Waiting; w != nil {
					last = fmt.Sprintf("its container is waiting: %s: %s", w.Reason, w.Message)
				}
			}
			if last == "" {
				last = "its pod is " + string(p.Status.Phase)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("its pod did not start within %s: %s (--start-timeout)", r.cfg.StartTimeout, last)
		case <-time.After(time.Second):
		}
	}
}

// cannotStart reports why the pod will never start, if it will not.
func cannotStart(p *v1.Pod, image string) (string, bool) {
	if p.Status.Phase == v1.PodFailed {
		return fmt.Sprintf("its pod failed before it ran: %s: %s", p.Status.Reason, p.Status.Message), true
	}
	for _, cs := range p.Status.ContainerStatuses {
		w := cs.State.Waiting
		if w == nil {
			continue
		}
		switch w.Reason {
		case "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull":
			return fmt.Sprintf("its pod could not start: the node cannot pull the image %s (%s: %s): give --image an image the nodes can pull (node-test images push REF puts node-test's into your registry)",
				image, w.Reason, w.Message), true
		case "CreateContainerConfigError", "CreateContainerError", "RunContainerError":
			return fmt.Sprintf("its pod could not start: %s: %s", w.Reason, w.Message), true
		}
	}
	for _, c := range p.Status.Conditions {
		if c.Type == v1.PodScheduled && c.Status == v1.ConditionFalse && c.Reason == v1.PodReasonUnschedulable {
			return fmt.Sprintf("its pod cannot run on the node: %s (a taint? --toleration)", c.Message), true
		}
	}
	return "", false
}

// errPodEnded: the node's pod ended.
var errPodEnded = errors.New("its pod ended")

// InterruptWait is how long an interrupted node-test cluster waits for each
// node's run, interrupted in turn, to tear down and hold its report; the
// run in the pod holds it for HoldAfterInterrupt.
const (
	InterruptWait      = 4 * time.Minute
	HoldAfterInterrupt = time.Minute
)

// ReadyMarker is the line node-test run --hold prints once its report is
// complete, followed by the run's exit code.
const ReadyMarker = "node-test: report ready, exit code "

// follow streams the pod's log to Out, each line prefixed with the node's
// name, until the run says its report is ready; it returns the run's exit
// code.
func (r *run) follow(ctx context.Context, node, pod string, since *time.Time) (int, error) {
	// With timestamps, a stream that broke off (the API server's or the
	// kubelet's timeout) is read on from its last line, none shown twice.
	for {
		opts := &v1.PodLogOptions{Container: container, Follow: true, Timestamps: true}
		if !since.IsZero() {
			opts.SinceTime = &metav1.Time{Time: *since}
		}
		stream, err := r.client.CoreV1().Pods(r.ns).GetLogs(pod, opts).Stream(ctx)
		if err != nil {
			return 0, fmt.Errorf("its pod's log could not be read: %w", err)
		}
		sc := bufio.NewScanner(stream)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			ts, line, _ := strings.Cut(sc.Text(), " ")
			t, err := time.Parse(time.RFC3339Nano, ts)
			if err == nil {
				if !t.After(*since) {
					continue
				}
				*since = t
			}
			r.outMu.Lock()
			fmt.Fprintf(r.cfg.Out, "[%s] %s\n", node, line)
			r.outMu.Unlock()
			if rest, ok := strings.CutPrefix(line, ReadyMarker); ok {
				stream.Close()
				var code int
				_, _ = fmt.Sscanf(rest, "%d", &code)
				return code, nil
			}
		}
		stream.Close()
		if ctx.Err() != nil {
			return 0, fmt.Errorf("not certified: %w", context.Cause(ctx))
		}
		p, err := r.client.CoreV1().Pods(r.ns).Get(ctx, pod, metav1.GetOptions{})
		if err == nil && (p.Status.Phase == v1.PodFailed || p.Status.Phase == v1.PodSucceeded) {
			return 0, fmt.Errorf("%w (%s) before its report was ready: %s", errPodEnded, p.Status.Phase, terminated(p))
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// terminated says how the pod's container ended.
func terminated(p *v1.Pod) string {
	for _, cs := range p.Status.ContainerStatuses {
		if t := cs.State.Terminated; t != nil {
			return fmt.Sprintf("exit code %d, %s %s", t.ExitCode, t.Reason, t.Message)
		}
	}
	return p.Status.Message
}

// loadSummary reads the node's summary.json.
func loadSummary(dir string) (*results.Summary, error) {
	b, err := os.ReadFile(filepath.Join(dir, results.SummaryJSONFile))
	if err != nil {
		return nil, err
	}
	var s results.Summary
	if err := jsonUnmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", results.SummaryJSONFile, err)
	}
	return &s, nil
}
