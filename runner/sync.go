package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/node-test/node-test/images"
	"github.com/node-test/node-test/runner/validate"
)

// ErrKubeletNotSynced means the kubelet did not act on this control plane's
// pods and services in time.
var ErrKubeletNotSynced = errors.New("the kubelet did not catch up with the local control plane")

// ErrEnvironmentDropped means a container lacked a variable its pod's spec
// sets literally: the node does not give containers the environment pods
// ask for, a failure of the node, not a delay of the kubelet's.
var ErrEnvironmentDropped = errors.New("the node drops the environment pods give their containers")

// ErrKubeletRefused means the kubelet refused the control plane's request
// to its API (a pod's log): every spec reading logs, running exec or
// forwarding ports would fail the same way.
var ErrKubeletRefused = errors.New("the kubelet refuses the local control plane's requests to its API")

const (
	// literalEnv is a variable the probe pod's spec sets literally: a
	// container that lacks it shows a node that drops what pods ask for.
	literalEnv = "NODE_TEST_SYNC_LITERAL"
	// syncTimeout bounds the wait for the kubelet to catch up.
	syncTimeout = 3 * time.Minute
	// syncService is the service whose environment variables the probe
	// pod must see; its name gives NODE_TEST_SYNC_SERVICE_HOST.
	syncService = "node-test-sync"
)

// kubeletSyncPhase waits until the kubelet acts on what this control plane
// holds: a Ready node with a renewed lease shows its node client works, not
// that its pod and service watches do. After the control plane restarts
// (every run starts its own), the kubelet's informers relist with a backoff
// that can last tens of seconds; a spec started before then fails for no
// fault of the node (a pod's service environment variables missing, a pod
// started late). The phase runs a probe pod, again until it runs and sees
// the probe service in its environment.
type kubeletSyncPhase struct{}

func (*kubeletSyncPhase) Name() string { return "kubelet sync" }

func (*kubeletSyncPhase) Run(ctx context.Context, rc *RunContext) error {
	start := time.Now()
	// Deleted with the specs' namespaces when the run ends.
	labels := map[string]string{testNamespaceLabel: "node-test-sync"}
	if rc.Config.Cluster {
		labels[NodeNamespaceLabel] = LabelValue(rc.NodeName)
	}
	ns, err := rc.Client.CoreV1().Namespaces().Create(ctx, &v1.Namespace{ObjectMeta: metav1.ObjectMeta{
		GenerateName: "node-test-sync-", Labels: labels,
	}}, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create the sync namespace: %w", err)
	}
	defer func() {
		if err := rc.Client.CoreV1().Namespaces().Delete(context.WithoutCancel(ctx), ns.Name, metav1.DeleteOptions{}); err != nil {
			rc.Logger.Warn("delete the sync namespace", "namespace", ns.Name, "error", err.Error())
		}
	}()
	svc := &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: syncService},
		Spec:       v1.ServiceSpec{Ports: []v1.ServicePort{{Port: 80}}},
	}
	if _, err := rc.Client.CoreV1().Services(ns.Name).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create the sync service: %w", err)
	}
	busybox, err := images.Lookup("busybox")
	if err != nil {
		return err
	}
	attempts := 0
	var last error
	err = wait.PollUntilContextTimeout(ctx, 2*time.Second, syncTimeout, true, func(ctx context.Context) (bool, error) {
		attempts++
		last = probeKubelet(ctx, rc.Client, ns.Name, rc.NodeName, busybox[0].Ref)
		if errors.Is(last, ErrKubeletRefused) || errors.Is(last, ErrEnvironmentDropped) {
			return false, last
		}
		if last != nil {
			rc.Logger.Info("waiting for the kubelet to catch up with the control plane", "attempt", attempts, "reason", last.Error())
		}
		return last == nil, nil
	})
	switch {
	case errors.Is(err, ErrKubeletRefused):
		return err
	case errors.Is(err, ErrEnvironmentDropped):
		// The node's failure: a check that fails, and no spec runs on a
		// node whose containers cannot be told anything.
		rc.addCheck(validate.Check{Area: "runtime", Name: "container environment", Verdict: validate.Fail, Message: err.Error(),
			Fix: "the runtime must start a container with the env of its CRI config (a runtime handler or OCI hook that rewrites process.env breaks every pod that is configured through its environment)"})
		return fmt.Errorf("%w: %w", err, ErrSpecsFailed)
	case err != nil:
		return fmt.Errorf("%w after %v: %v: check the kubelet's log for errors reaching http://localhost:8080", ErrKubeletNotSynced, syncTimeout, last)
	}
	rc.Logger.Info("the kubelet runs this control plane's pods and sees its services", "attempts", attempts, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// probeEnvValue is the value of literalEnv in the probe pod's spec.
const probeEnvValue = "set-by-the-pod-spec"

// probeKubelet runs a pod that prints its environment on node and checks it
// holds the variable its spec sets, then the sync service's variables: the
// first missing is the node's failure, the second a kubelet that has not
// caught up yet.
func probeKubelet(ctx context.Context, c kubernetes.Interface, ns, node, image string) error {
	pod := &v1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "probe-" + rand.String(5)},
		Spec: v1.PodSpec{
			NodeName:      node,
			RestartPolicy: v1.RestartPolicyNever,
			DNSPolicy:     v1.DNSDefault,
			Containers: []v1.Container{{
				Name: "probe", Image: image, ImagePullPolicy: v1.PullNever, Command: []string{"env"},
				Env: []v1.EnvVar{{Name: literalEnv, Value: probeEnvValue}},
			}},
			TerminationGracePeriodSeconds: new(int64),
		},
	}
	pod, err := c.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("create probe pod: %w", err)
	}
	defer c.CoreV1().Pods(ns).Delete(context.WithoutCancel(ctx), pod.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
	var phase v1.PodPhase
	err = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		p, err := c.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		phase = p.Status.Phase
		return phase == v1.PodSucceeded || phase == v1.PodFailed, nil
	})
	if err != nil {
		return fmt.Errorf("probe pod %s is %q after a minute", pod.Name, phase)
	}
	if phase == v1.PodFailed {
		return fmt.Errorf("probe pod %s failed", pod.Name)
	}
	log, err := c.CoreV1().Pods(ns).GetLogs(pod.Name, &v1.PodLogOptions{}).DoRaw(ctx)
	switch {
	case apierrors.IsUnauthorized(err):
		return fmt.Errorf("%w: get the probe pod's log: %v: it does not authenticate the API server "+
			"(see the check [kubelet] control plane access to the kubelet): give node-test a client certificate its client CA signed "+
			"with --kubelet-client-cert and --kubelet-client-key, or set authentication.anonymous.enabled: true in its config", ErrKubeletRefused, err)
	case apierrors.IsForbidden(err):
		return fmt.Errorf("%w: get the probe pod's log: %v: it does not authorize the API server: "+
			"set authorization.mode: Webhook (the local control plane allows every request) or AlwaysAllow in its config", ErrKubeletRefused, err)
	case err != nil:
		return fmt.Errorf("get the probe pod's log: %w", err)
	}
	if !strings.Contains(string(log), literalEnv+"="+probeEnvValue) {
		return fmt.Errorf("%w: the probe pod's container lacks %s=%s, which its spec sets (its environment: %q)",
			ErrEnvironmentDropped, literalEnv, probeEnvValue, strings.TrimSpace(string(log)))
	}
	want := strings.ToUpper(strings.ReplaceAll(syncService, "-", "_")) + "_SERVICE_HOST="
	if !strings.Contains(string(log), want) {
		return fmt.Errorf("the probe pod's environment lacks %s: the kubelet has not seen the service yet", want)
	}
	return nil
}
