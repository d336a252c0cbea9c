package capacity

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	internalapi "k8s.io/cri-api/pkg/apis"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	imageutils "k8s.io/kubernetes/test/utils/image"
	admissionapi "k8s.io/pod-security-admission/api"

	"github.com/node-test/node-test/suites/framework"
)

const (
	// productionMaxPods is the most pods a node of a production cluster
	// runs (Kubernetes' large-cluster limits): the spec fills a node that
	// allocates more up to this many.
	productionMaxPods = 110
	// settleTimeout bounds the wait for the pods earlier specs left
	// terminating on the node.
	settleTimeout = 3 * time.Minute
	// startTimeout bounds the wait for the pods to start, after the last
	// one is created.
	startTimeout = 5 * time.Minute
	// rejectTimeout bounds the wait for the kubelet's verdict on one pod
	// more than the node allocates.
	rejectTimeout = 2 * time.Minute
	// removeTimeout bounds the wait for the runtime to hold nothing of the
	// deleted pods: the kubelet removes the containers and sandboxes of
	// deleted pods in its garbage collection, once a minute.
	removeTimeout = 3 * time.Minute
	// outOfPods is the reason the kubelet gives a pod it refuses because
	// the node runs as many pods as it allocates.
	outOfPods = "OutOfpods"
)

var _ = e2eframework.SIGDescribe("node")("NodeCapacity", e2eframework.WithSerial(), Label("NodeCapacity"), func() {
	f := e2eframework.NewDefaultFramework("node-capacity")
	f.NamespacePodSecurityLevel = admissionapi.LevelBaseline

	It("should run as many pods as it allocates, start them within the pod startup SLO, refuse one more and remove their containers once they are deleted", func(ctx SpecContext) {
		c, ns, nodeName := f.ClientSet, f.Namespace.Name, e2eframework.TestContext.NodeName
		rate, slo := framework.NodeContext.CapacityRate, framework.NodeContext.StartupSLO
		Expect(rate).To(BeNumerically(">", 0), "--node-capacity-rate must be positive")
		cri, err := framework.RuntimeService(ctx)
		e2eframework.ExpectNoError(err)

		node, err := c.CoreV1().Nodes().Get(ctx, nodeName, metav1.GetOptions{})
		e2eframework.ExpectNoError(err)
		allocatable := node.Status.Allocatable.Pods().Value()
		target := min(allocatable, productionMaxPods)
		AddReportEntry("pods allocatable", allocatable)
		if allocatable > productionMaxPods {
			e2eframework.Logf("node %s allocates %d pods, more than the %d of a production node: filling it to %d, not checking that it refuses one more",
				nodeName, allocatable, productionMaxPods, productionMaxPods)
		}

		By("waiting for the pods earlier specs deleted to be gone from the node")
		e2eframework.ExpectNoError(waitNoneTerminating(ctx, c, nodeName))
		before, err := activePods(ctx, c, nodeName)
		e2eframework.ExpectNoError(err)
		AddReportEntry("pods already running", len(before))
		n := int(target) - len(before)
		Expect(n).To(BeNumerically(">", 0), "node %s already runs %d pods of the %d it allocates: %s",
			nodeName, len(before), target, strings.Join(before, ", "))

		var problems []string
		watcher := watchStarts(ctx, c, ns)
		By(fmt.Sprintf("creating %d pods of the pause image at %g pods/s, to %d pods on node %s", n, rate, target, nodeName))
		created := createPods(ctx, c, ns, nodeName, "capacity", n, rate)
		lastCreated := slices.MaxFunc(mapValues(created), time.Time.Compare)
		firstCreated := slices.MinFunc(mapValues(created), time.Time.Compare)
		AddReportEntry("pods created", n)
		if n > 1 {
			AddReportEntry("pods created per second", round(float64(n-1)/lastCreated.Sub(firstCreated).Seconds()))
		}

		By("waiting for every pod to run with all its containers started")
		started, failed := watcher.wait(ctx, created, lastCreated.Add(startTimeout))
		for name, why := range failed {
			problems = append(problems, fmt.Sprintf("pod %s did not start: %s", name, why))
		}
		var latencies []time.Duration
		var slowest string
		for name, at := range started {
			l := at.Sub(created[name])
			latencies = append(latencies, l)
			if len(latencies) == 1 || l > slices.Max(latencies[:len(latencies)-1]) {
				slowest = name
			}
		}
		slices.Sort(latencies)
		if len(latencies) > 0 {
			lastStarted := slices.MaxFunc(mapValues(started), time.Time.Compare)
			p99 := percentile(latencies, 99)
			AddReportEntry("startup p50 (s)", round(percentile(latencies, 50).Seconds()))
			AddReportEntry("startup p90 (s)", round(percentile(latencies, 90).Seconds()))
			AddReportEntry("startup p99 (s)", round(p99.Seconds()))
			AddReportEntry("startup max (s)", round(latencies[len(latencies)-1].Seconds()))
			AddReportEntry("startup SLO p99 (s)", round(slo.Seconds()))
			AddReportEntry("pods started per second", round(float64(len(latencies))/lastStarted.Sub(firstCreated).Seconds()))
			e2eframework.Logf("startup latency of %d pods: p50 %v, p90 %v, p99 %v, max %v (pod %s)", len(latencies),
				percentile(latencies, 50), percentile(latencies, 90), p99, latencies[len(latencies)-1], slowest)
			if p99 > slo {
				problems = append(problems, fmt.Sprintf("the 99th percentile of pod startup latency is %v, above the SLO's %v (slowest: pod %s, %v)",
					p99.Round(time.Millisecond), slo, slowest, latencies[len(latencies)-1].Round(time.Millisecond)))
			}
		}

		if allocatable <= productionMaxPods && len(failed) == 0 {
			By(fmt.Sprintf("creating pod %d, one more than node %s allocates", allocatable+1, nodeName))
			verdict, err := oneMore(ctx, c, ns, nodeName, allocatable)
			e2eframework.ExpectNoError(err)
			AddReportEntry("one pod more", verdict)
			if verdict != outOfPods {
				problems = append(problems, fmt.Sprintf("the kubelet did not refuse pod %d of a node allocating %d pods with reason %s: %s",
					allocatable+1, allocatable, outOfPods, verdict))
			}
		}

		By("deleting every pod and waiting until the runtime holds no container of them")
		deleted := time.Now()
		e2eframework.ExpectNoError(c.CoreV1().Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}))
		gone, err := waitRemoved(ctx, c, cri, ns)
		e2eframework.ExpectNoError(err)
		for _, step := range gone.steps {
			AddReportEntry(step.name+" (s)", round(step.at.Sub(deleted).Seconds()))
		}
		if !gone.left.Empty() {
			problems = append(problems, fmt.Sprintf("%v after the pods were deleted the runtime still holds %d sandboxes and %d containers of them (%d running): %s",
				removeTimeout, len(gone.left.Sandboxes), len(gone.left.Containers), gone.left.Running, firstOf(append(gone.left.Sandboxes, gone.left.Containers...), 5)))
		}

		if len(problems) > 0 {
			Fail(strings.Join(problems, "; "))
		}
	})
})

// activePods names the pods the kubelet of node counts against its pod
// limit: those it runs or is starting, static pods included, as its /pods
// lists them (a static pod's mirror pod may be missing from the API: its
// namespace may not exist there), with the pods bound to the node in the
// API it has not listed yet.
func activePods(ctx context.Context, c clientset.Interface, node string) ([]string, error) {
	raw, err := framework.KubeletGet(ctx, c, node, "pods")
	if err != nil {
		return nil, err
	}
	var kubelet v1.PodList
	if err := json.Unmarshal(raw, &kubelet); err != nil {
		return nil, fmt.Errorf("decode the kubelet's /pods: %w", err)
	}
	api, err := c.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node).String()})
	if err != nil {
		return nil, fmt.Errorf("list the pods of node %s: %w", node, err)
	}
	active := map[string]bool{}
	for _, p := range append(kubelet.Items, api.Items...) {
		if p.Status.Phase != v1.PodSucceeded && p.Status.Phase != v1.PodFailed {
			active[p.Namespace+"/"+p.Name] = true
		}
	}
	return slices.Sorted(maps.Keys(active)), nil
}

// waitNoneTerminating waits until no pod of the node is being deleted, so
// that the count of its pods holds while the spec fills it.
func waitNoneTerminating(ctx context.Context, c clientset.Interface, node string) error {
	var terminating []string
	err := e2eframework.Gomega().Eventually(ctx, func(ctx context.Context) error {
		list, err := c.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node).String()})
		if err != nil {
			return err
		}
		terminating = terminating[:0]
		for _, p := range list.Items {
			if p.DeletionTimestamp != nil {
				terminating = append(terminating, p.Namespace+"/"+p.Name)
			}
		}
		if len(terminating) > 0 {
			return fmt.Errorf("%d pods of node %s are being deleted: %s", len(terminating), node, firstOf(terminating, 5))
		}
		return nil
	}).WithTimeout(settleTimeout).WithPolling(time.Second).Should(Succeed())
	if err != nil {
		return fmt.Errorf("the pods earlier specs deleted are still on the node after %v: %w", settleTimeout, err)
	}
	return nil
}

// pausePod is a pod of the carried pause image, never pulled, bound to
// node, with the runtime handler under test.
func pausePod(name, node string) *v1.Pod {
	return framework.UseRuntimeHandler(&v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1.PodSpec{
			NodeName: node,
			Containers: []v1.Container{{
				Name:            "pause",
				Image:           imageutils.GetPauseImageName(),
				ImagePullPolicy: v1.PullNever,
			}},
		},
	})
}

// createPods creates n pause pods bound to node at rate pods a second and
// returns when each one's creation was asked for.
func createPods(ctx context.Context, c clientset.Interface, ns, node, prefix string, n int, rate float64) map[string]time.Time {
	created := map[string]time.Time{}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	for i := range n {
		if i > 0 {
			select {
			case <-ctx.Done():
				Fail(fmt.Sprintf("interrupted after creating %d of %d pods", i, n))
			case <-tick.C:
			}
		}
		name := fmt.Sprintf("%s-%03d", prefix, i)
		created[name] = time.Now()
		_, err := c.CoreV1().Pods(ns).Create(ctx, pausePod(name, node), metav1.CreateOptions{})
		e2eframework.ExpectNoError(err, "create pod %s, %d of %d", name, i+1, n)
	}
	return created
}

// startWatcher records, from a watch of a namespace's pods, when each pod
// was first seen running with all its containers started, as the pod
// startup SLO measures it, and which pods ended instead.
type startWatcher struct {
	mu      sync.Mutex
	started map[string]time.Time
	failed  map[string]string
	last    map[string]*v1.Pod
}

func watchStarts(ctx context.Context, c clientset.Interface, ns string) *startWatcher {
	w := &startWatcher{started: map[string]time.Time{}, failed: map[string]string{}, last: map[string]*v1.Pod{}}
	seen := func(obj any) {
		p, ok := obj.(*v1.Pod)
		if !ok {
			return
		}
		now := time.Now()
		w.mu.Lock()
		defer w.mu.Unlock()
		w.last[p.Name] = p
		switch {
		case p.Status.Phase == v1.PodFailed || p.Status.Phase == v1.PodSucceeded:
			if _, ok := w.failed[p.Name]; !ok {
				w.failed[p.Name] = fmt.Sprintf("phase %s, reason %q: %s", p.Status.Phase, p.Status.Reason, p.Status.Message)
			}
		case allStarted(p):
			if _, ok := w.started[p.Name]; !ok {
				w.started[p.Name] = now
			}
		}
	}
	_, informer := cache.NewInformerWithOptions(cache.InformerOptions{
		ListerWatcher: cache.NewListWatchFromClient(c.CoreV1().RESTClient(), "pods", ns, fields.Everything()),
		ObjectType:    &v1.Pod{},
		Handler: cache.ResourceEventHandlerFuncs{
			AddFunc:    seen,
			UpdateFunc: func(_, obj any) { seen(obj) },
		},
	})
	stop := make(chan struct{})
	go informer.Run(stop)
	DeferCleanup(func() { close(stop) })
	Eventually(ctx, informer.HasSynced).WithTimeout(time.Minute).Should(BeTrue(), "the watch of namespace %s never synced", ns)
	return w
}

// wait waits until every pod of want started or ended, or deadline, and
// returns when each started and why the others did not.
func (w *startWatcher) wait(ctx context.Context, want map[string]time.Time, deadline time.Time) (map[string]time.Time, map[string]string) {
	for {
		w.mu.Lock()
		done := len(w.started)+len(w.failed) >= len(want)
		w.mu.Unlock()
		if done || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	started, failed := map[string]time.Time{}, map[string]string{}
	for name := range want {
		switch at, ok := w.started[name]; {
		case ok:
			started[name] = at
		case w.failed[name] != "":
			failed[name] = w.failed[name]
		default:
			failed[name] = fmt.Sprintf("not started %v after the last pod's creation: %s", startTimeout, podState(w.last[name]))
		}
	}
	return started, failed
}

// allStarted reports whether the pod runs with all its containers started.
func allStarted(p *v1.Pod) bool {
	if p.Status.Phase != v1.PodRunning || len(p.Status.ContainerStatuses) < len(p.Spec.Containers) {
		return false
	}
	for _, s := range p.Status.ContainerStatuses {
		if s.State.Running == nil || s.Started == nil || !*s.Started {
			return false
		}
	}
	return true
}

// podState says where a pod is, in a few words.
func podState(p *v1.Pod) string {
	if p == nil {
		return "never seen"
	}
	out := fmt.Sprintf("phase %s", p.Status.Phase)
	for _, s := range p.Status.ContainerStatuses {
		if s.State.Waiting != nil {
			out += fmt.Sprintf(", container %s waiting (%s: %s)", s.Name, s.State.Waiting.Reason, s.State.Waiting.Message)
		}
	}
	return out
}

// oneMore creates one pod more than the node allocates, bound to it, and
// returns the kubelet's verdict: the reason it refused it, or what the pod
// did instead. A pod an earlier spec left ending, which frees a place, is
// replaced first, so the node is full when the pod arrives.
func oneMore(ctx context.Context, c clientset.Interface, ns, node string, allocatable int64) (string, error) {
	active, err := activePods(ctx, c, node)
	if err != nil {
		return "", err
	}
	if short := int(allocatable) - len(active); short > 0 {
		e2eframework.Logf("node %s runs %d pods of %d: %d pods of earlier specs ended; creating %d more to fill it", node, len(active), allocatable, short, short)
		w := watchStarts(ctx, c, ns)
		extra := createPods(ctx, c, ns, node, "capacity-refill", short, 5)
		if _, failed := w.wait(ctx, extra, time.Now().Add(startTimeout)); len(failed) > 0 {
			return "", fmt.Errorf("the pods refilling node %s did not start: %v", node, failed)
		}
	}
	name := fmt.Sprintf("capacity-one-more-%d", allocatable+1)
	if _, err := c.CoreV1().Pods(ns).Create(ctx, pausePod(name, node), metav1.CreateOptions{}); err != nil {
		return "", fmt.Errorf("create pod %s: %w", name, err)
	}
	var verdict string
	err = e2eframework.Gomega().Eventually(ctx, func(ctx context.Context) error {
		p, err := c.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		switch {
		case p.Status.Phase == v1.PodFailed:
			verdict = p.Status.Reason
			e2eframework.Logf("the kubelet refused pod %s: %s: %s", name, p.Status.Reason, p.Status.Message)
			return nil
		case p.Status.Phase == v1.PodRunning:
			verdict = "the pod runs, the node then running more pods than it allocates"
			return nil
		}
		return fmt.Errorf("pod %s: %s", name, podState(p))
	}).WithTimeout(rejectTimeout).WithPolling(500 * time.Millisecond).Should(Succeed())
	if err != nil {
		return fmt.Sprintf("no verdict within %v: %v", rejectTimeout, err), nil
	}
	return verdict, nil
}

// removal is when the deleted pods left the API and the runtime, and what
// the runtime still held when the wait ended.
type removal struct {
	steps []struct {
		name string
		at   time.Time
	}
	left framework.RuntimeObjects
}

// waitRemoved waits until the namespace holds no pod, the runtime runs
// nothing of them and then holds nothing of them, recording when each
// became true.
func waitRemoved(ctx context.Context, c clientset.Interface, cri internalapi.RuntimeService, ns string) (removal, error) {
	var out removal
	done := map[string]bool{}
	mark := func(name string) {
		if !done[name] {
			done[name] = true
			out.steps = append(out.steps, struct {
				name string
				at   time.Time
			}{name, time.Now()})
		}
	}
	deadline := time.Now().Add(removeTimeout)
	for {
		pods, err := c.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return out, fmt.Errorf("list the pods of namespace %s: %w", ns, err)
		}
		if len(pods.Items) == 0 {
			mark("pods gone from the API")
		}
		out.left, err = framework.ListRuntimeObjects(ctx, cri, ns)
		if err != nil {
			return out, err
		}
		if out.left.Running == 0 {
			mark("containers stopped")
		}
		if out.left.Empty() {
			mark("containers removed")
		}
		if done["pods gone from the API"] && out.left.Empty() || time.Now().After(deadline) || ctx.Err() != nil {
			return out, nil
		}
		time.Sleep(time.Second)
	}
}

// percentile is the p-th percentile of sorted, by nearest rank.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(i, 0)]
}

// round rounds to milliseconds, for the report.
func round(f float64) float64 { return math.Round(f*1000) / 1000 }

func mapValues(m map[string]time.Time) []time.Time {
	out := make([]time.Time, 0, len(m))
	for _, t := range m {
		out = append(out, t)
	}
	return out
}

// firstOf joins the first n of items, saying how many more there are.
func firstOf(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}
