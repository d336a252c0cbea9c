package node

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	e2epod "k8s.io/kubernetes/test/e2e/framework/pod"
	admissionapi "k8s.io/pod-security-admission/api"
	"k8s.io/utils/ptr"

	"github.com/node-test/node-test/suites/framework"
)

const (
	// lifecycleTimeout bounds each wait for the kubelet to act on a pod.
	lifecycleTimeout = 2 * time.Minute
	// defaultPodLogsDir is the kubelet's podLogsDir unless its
	// configuration says otherwise.
	defaultPodLogsDir = "/var/log/pods"
)

// conditionOrder is the order in which the kubelet makes a pod's conditions
// true.
var conditionOrder = []v1.PodConditionType{
	v1.PodScheduled, v1.PodReadyToStartContainers, v1.PodInitialized, v1.ContainersReady, v1.PodReady,
}

var _ = e2eframework.SIGDescribe("node")("PodLifecycle", e2eframework.WithNodeConformance(), func() {
	f := e2eframework.NewDefaultFramework("pod-lifecycle")
	// The observer pods see the host's processes and files.
	f.NamespacePodSecurityLevel = admissionapi.LevelPrivileged

	// Upstream's node suite (Pod conditions managed by Kubelet) checks the
	// order of the conditions' transitions; this one also checks that the
	// init container and the readiness probe gate them, in time.
	It("should make the pod's conditions true in order: PodScheduled, PodReadyToStartContainers, Initialized, ContainersReady, Ready", func(ctx SpecContext) {
		const initFor, readyAfter = 3 * time.Second, 5 * time.Second
		pod := busyboxPod("conditions", "main", fmt.Sprintf("sleep %d; touch /tmp/ready; sleep 3600", int(readyAfter.Seconds())))
		pod.Spec.InitContainers = []v1.Container{framework.BusyboxContainer("init", fmt.Sprintf("sleep %d", int(initFor.Seconds())))}
		pod.Spec.Containers[0].ReadinessProbe = &v1.Probe{
			ProbeHandler:  v1.ProbeHandler{Exec: &v1.ExecAction{Command: []string{"cat", "/tmp/ready"}}},
			PeriodSeconds: 1,
		}
		pod = e2epod.NewPodClient(f).Create(ctx, pod)

		By("watching the conditions until the pod is Ready")
		firstTrue := map[v1.PodConditionType]time.Time{}
		var last *v1.Pod
		framework.FailUnless(e2eframework.Gomega().Eventually(ctx, func(ctx context.Context) error {
			p, err := f.ClientSet.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			last = p
			now := time.Now()
			for _, c := range p.Status.Conditions {
				if c.Status == v1.ConditionTrue {
					if _, seen := firstTrue[c.Type]; !seen {
						firstTrue[c.Type] = now
					}
				}
			}
			if err := conditionsInOrder(p); err != nil {
				Fail(err.Error())
			}
			if _, ok := firstTrue[v1.PodReady]; !ok {
				return fmt.Errorf("pod %s is not Ready: %v", p.Name, conditionSummary(p))
			}
			return nil
		}).WithTimeout(lifecycleTimeout).WithPolling(250*time.Millisecond).Should(Succeed()),
			"the pod whose container turns ready never became Ready")

		for _, t := range conditionOrder {
			Expect(firstTrue).To(HaveKey(t), "the pod never had condition %s true: %v", t, conditionSummary(last))
		}
		By("checking that the init container and the readiness probe gated the conditions")
		gap := firstTrue[v1.PodInitialized].Sub(firstTrue[v1.PodReadyToStartContainers])
		Expect(gap).To(BeNumerically(">=", initFor-time.Second),
			"Initialized became true %v after PodReadyToStartContainers: the %v init container did not gate it", gap, initFor)
		gap = firstTrue[v1.ContainersReady].Sub(firstTrue[v1.PodInitialized])
		Expect(gap).To(BeNumerically(">=", readyAfter-time.Second),
			"ContainersReady became true %v after Initialized: the readiness probe, passing after %v, did not gate it", gap, readyAfter)
	})

	It("should stop the containers' processes on the host, after their SIGTERM handler ran, when the pod is deleted", func(ctx SpecContext) {
		const handlerRuns, grace = 15 * time.Second, 60
		observer := startObserver(ctx, f, nil)
		marker := "node-test-marker-" + rand.String(8)
		script := fmt.Sprintf(`trap "sleep %d; exit 0" TERM; touch /tmp/trap-set; while true; do sleep 1; done`, int(handlerRuns.Seconds()))
		pod := busyboxPod("graceful", "main", script)
		// $0 of the shell: the marker in its command line, for the observer.
		pod.Spec.Containers[0].Command = append(pod.Spec.Containers[0].Command, marker)
		pod.Spec.Containers[0].ReadinessProbe = &v1.Probe{
			ProbeHandler:  v1.ProbeHandler{Exec: &v1.ExecAction{Command: []string{"cat", "/tmp/trap-set"}}},
			PeriodSeconds: 1,
		}
		pod.Spec.TerminationGracePeriodSeconds = ptr.To[int64](grace)
		pod = e2epod.NewPodClient(f).Create(ctx, pod)
		e2eframework.ExpectNoError(e2epod.WaitTimeoutForPodReadyInNamespace(ctx, f.ClientSet, pod.Name, pod.Namespace, lifecycleTimeout))

		// [m]arker: a pattern that does not match the grep's own command line.
		find := fmt.Sprintf("grep -l '[%s]%s' /proc/[0-9]*/cmdline 2>/dev/null; true", marker[:1], marker[1:])
		Expect(observer.exec(find)).NotTo(BeEmpty(), "the observer does not see the container's process on the host")

		By(fmt.Sprintf("deleting the pod with a grace period of %ds: its container exits %v after SIGTERM", grace, handlerRuns))
		start := time.Now()
		e2eframework.ExpectNoError(f.ClientSet.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{}))
		e2eframework.ExpectNoError(e2epod.WaitForPodNotFoundInNamespace(ctx, f.ClientSet, pod.Name, pod.Namespace, lifecycleTimeout))
		took := time.Since(start)
		e2eframework.Logf("the pod was gone %v after its deletion", took.Round(100*time.Millisecond))
		Expect(took).To(BeNumerically(">=", handlerRuns-time.Second),
			"the pod was gone %v after its deletion, before its SIGTERM handler could run for %v", took, handlerRuns)
		Expect(took).To(BeNumerically("<", time.Duration(grace)*time.Second),
			"the pod stayed for its whole grace period although its container exited %v after SIGTERM", handlerRuns)

		By("checking on the host that the container's processes are gone")
		Expect(observer.exec(find)).To(BeEmpty(), "the deleted pod's container processes still run on the host")
	})

	// Upstream's node suite (ContainerLogPath) checks that the log file is
	// where the kubelet says and holds the output; this one checks the CRI
	// log format, stdout and stderr apart.
	It("should write the container's output to its log file in the kubelet's pod log directory, in the CRI format", func(ctx SpecContext) {
		dir := podLogsDir(ctx, f)
		observer := startObserver(ctx, f, &v1.Volume{Name: "logs", VolumeSource: v1.VolumeSource{
			HostPath: &v1.HostPathVolumeSource{Path: dir}}})
		line := "node-test log line " + rand.String(8)
		pod := busyboxPod("logs", "main", "echo "+line+"; echo "+line+" on stderr >&2")
		framework.Output(ctx, f, pod)

		path := fmt.Sprintf("%s/%s_%s_%s/%s/0.log", observedLogs, pod.Namespace, pod.Name, pod.UID, "main")
		By("reading " + path + " on the host")
		content := observer.exec("cat " + path)
		Expect(content).To(MatchRegexp(`(?m)^\S+ stdout F `+regexp.QuoteMeta(line)+`$`),
			"the container's stdout is not in %s%s in the CRI log format", dir, strings.TrimPrefix(path, observedLogs))
		Expect(content).To(MatchRegexp(`(?m)^\S+ stderr F `+regexp.QuoteMeta(line+" on stderr")+`$`),
			"the container's stderr is not in %s%s in the CRI log format", dir, strings.TrimPrefix(path, observedLogs))
	})
})

// conditionsInOrder checks that no condition of pod is true while one that
// comes before it is not.
func conditionsInOrder(pod *v1.Pod) error {
	status := map[v1.PodConditionType]v1.ConditionStatus{}
	for _, c := range pod.Status.Conditions {
		status[c.Type] = c.Status
	}
	for i, t := range conditionOrder {
		if status[t] != v1.ConditionTrue {
			continue
		}
		for _, before := range conditionOrder[:i] {
			if status[before] != v1.ConditionTrue {
				return fmt.Errorf("pod %s has condition %s true while %s is not: %v", pod.Name, t, before, conditionSummary(pod))
			}
		}
	}
	return nil
}

// conditionSummary lists the pod's conditions as Type=Status.
func conditionSummary(pod *v1.Pod) string {
	if pod == nil {
		return "no status"
	}
	var parts []string
	for _, c := range pod.Status.Conditions {
		parts = append(parts, fmt.Sprintf("%s=%s", c.Type, c.Status))
	}
	return strings.Join(parts, " ")
}

// observedLogs is where the observer pod mounts the kubelet's pod log
// directory.
const observedLogs = "/host-logs"

// observer is a privileged pod in the host's PID namespace that the specs
// run commands in, to see what the node really does. It runs with the
// runtime's default handler, not the one under test.
type observer struct {
	f    *e2eframework.Framework
	name string
}

// startObserver runs an observer pod, with volume mounted read-only at
// observedLogs if set, and waits for it to run.
func startObserver(ctx context.Context, f *e2eframework.Framework, volume *v1.Volume) *observer {
	GinkgoHelper()
	pod := busyboxPod("observer-"+rand.String(5), "observer", "sleep 3600")
	pod.Spec.HostPID = true
	pod.Spec.RuntimeClassName = nil
	pod.Spec.TerminationGracePeriodSeconds = ptr.To[int64](1)
	if volume != nil {
		pod.Spec.Volumes = []v1.Volume{*volume}
		pod.Spec.Containers[0].VolumeMounts = []v1.VolumeMount{{Name: volume.Name, MountPath: observedLogs, ReadOnly: true}}
	}
	pod = e2epod.NewPodClient(f).CreateSync(ctx, pod)
	return &observer{f: f, name: pod.Name}
}

// exec runs script in the observer and returns its output.
func (o *observer) exec(script string) string {
	GinkgoHelper()
	out, stderr, err := e2epod.ExecCommandInContainerWithFullOutput(o.f, o.name, "observer", "sh", "-c", script)
	e2eframework.ExpectNoError(err, "run %q in the observer pod: %s", script, stderr)
	return strings.TrimSpace(out)
}

// podLogsDir returns the kubelet's pod log directory, from its /configz
// where the kubelet serves it.
func podLogsDir(ctx context.Context, f *e2eframework.Framework) string {
	config, err := framework.KubeletConfig(ctx, f.ClientSet, e2eframework.TestContext.NodeName)
	if err != nil {
		e2eframework.Logf("the kubelet's /configz: %v: assuming the default pod log directory %s", err, defaultPodLogsDir)
		return defaultPodLogsDir
	}
	if config.PodLogsDir == "" {
		return defaultPodLogsDir
	}
	return config.PodLogsDir
}

// busyboxPod is a pod with one busybox container that runs script, with
// the runtime handler under test.
func busyboxPod(name, container, script string) *v1.Pod {
	return framework.BusyboxPod(name, framework.BusyboxContainer(container, script))
}
