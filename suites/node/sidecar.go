package node

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	e2epod "k8s.io/kubernetes/test/e2e/framework/pod"
	admissionapi "k8s.io/pod-security-admission/api"
	"k8s.io/utils/ptr"

	"github.com/node-test/node-test/suites/framework"
)

// uptime is a shell expression for the seconds since the node booted: one
// clock for every container of the node.
const uptime = `$(cut -d" " -f1 /proc/uptime)`

var _ = e2eframework.SIGDescribe("node")("SidecarContainers", e2eframework.WithNodeConformance(), func() {
	f := e2eframework.NewDefaultFramework("sidecar")
	f.NamespacePodSecurityLevel = admissionapi.LevelBaseline

	It("should start the main containers only once a restartable init container has started, and keep it running beside them", func(ctx SpecContext) {
		const startupTakes = 4 * time.Second
		pod := busyboxPod("sidecar-start", "main", "echo main-start="+uptime+"; sleep 3600")
		sidecar := framework.BusyboxContainer("sidecar", fmt.Sprintf("echo sidecar-start=%s; sleep %d; touch /tmp/started; sleep 3600",
			uptime, int(startupTakes.Seconds())))
		sidecar.RestartPolicy = ptr.To(v1.ContainerRestartPolicyAlways)
		sidecar.StartupProbe = &v1.Probe{
			ProbeHandler:  v1.ProbeHandler{Exec: &v1.ExecAction{Command: []string{"cat", "/tmp/started"}}},
			PeriodSeconds: 1, FailureThreshold: 60,
		}
		pod.Spec.InitContainers = []v1.Container{sidecar}
		pod = e2epod.NewPodClient(f).CreateSync(ctx, pod)

		p, err := f.ClientSet.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		e2eframework.ExpectNoError(err)
		Expect(p.Status.InitContainerStatuses).To(HaveLen(1))
		s := p.Status.InitContainerStatuses[0]
		Expect(s.State.Running).NotTo(BeNil(), "the sidecar is not running beside the main container: %+v", s.State)
		Expect(ptr.Deref(s.Started, false)).To(BeTrueBecause("the sidecar is not reported started"))

		sidecarStart := logTime(ctx, f, pod.Name, "sidecar", "sidecar-start")
		mainStart := logTime(ctx, f, pod.Name, "main", "main-start")
		Expect(mainStart-sidecarStart).To(BeNumerically(">=", (startupTakes-time.Second).Seconds()),
			"the main container started %.1fs after the sidecar, before the sidecar's startup probe passed %v after its start",
			mainStart-sidecarStart, startupTakes)
	})

	It("should restart a restartable init container that exits while the main containers run, without restarting them", func(ctx SpecContext) {
		pod := busyboxPod("sidecar-restart", "main", "sleep 3600")
		sidecar := framework.BusyboxContainer("sidecar", "sleep 2; exit 1")
		sidecar.RestartPolicy = ptr.To(v1.ContainerRestartPolicyAlways)
		pod.Spec.InitContainers = []v1.Container{sidecar}
		pod = e2epod.NewPodClient(f).CreateSync(ctx, pod)

		framework.FailUnless(e2eframework.Gomega().Eventually(ctx, func(ctx context.Context) error {
			p, err := f.ClientSet.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if p.Status.Phase != v1.PodRunning {
				Fail(fmt.Sprintf("the pod is %s while its sidecar restarts", p.Status.Phase))
			}
			if n := p.Status.ContainerStatuses[0].RestartCount; n != 0 {
				Fail(fmt.Sprintf("the main container restarted %d times when its sidecar exited", n))
			}
			if n := p.Status.InitContainerStatuses[0].RestartCount; n < 2 {
				return fmt.Errorf("the sidecar restarted %d times", n)
			}
			return nil
		}).WithTimeout(lifecycleTimeout).WithPolling(time.Second).Should(Succeed()),
			"the sidecar that exits was not restarted")
	})

	It("should stop the main containers before the restartable init containers when the pod is deleted", func(ctx SpecContext) {
		// Each container, on SIGTERM, writes when it got it as its
		// termination message (the trap's command is quoted: evaluated when
		// the signal comes); the main container takes 3s to exit, the
		// sidecar exits at once.
		pod := busyboxPod("sidecar-stop", "main",
			`trap 'echo main-term=`+uptime+` > /dev/termination-log; sleep 3; exit 0' TERM; touch /tmp/trap-set; while true; do sleep 1; done`)
		sidecar := framework.BusyboxContainer("sidecar",
			`trap 'echo sidecar-term=`+uptime+` > /dev/termination-log; exit 0' TERM; touch /tmp/trap-set; while true; do sleep 1; done`)
		sidecar.RestartPolicy = ptr.To(v1.ContainerRestartPolicyAlways)
		trapSet := &v1.Probe{ProbeHandler: v1.ProbeHandler{Exec: &v1.ExecAction{Command: []string{"cat", "/tmp/trap-set"}}}, PeriodSeconds: 1}
		sidecar.StartupProbe = trapSet
		pod.Spec.Containers[0].ReadinessProbe = trapSet
		pod.Spec.InitContainers = []v1.Container{sidecar}
		pod.Spec.TerminationGracePeriodSeconds = ptr.To[int64](60)
		pod = e2epod.NewPodClient(f).Create(ctx, pod)
		e2eframework.ExpectNoError(e2epod.WaitTimeoutForPodReadyInNamespace(ctx, f.ClientSet, pod.Name, pod.Namespace, lifecycleTimeout))

		By("deleting the pod and watching its containers terminate")
		w, err := f.ClientSet.CoreV1().Pods(pod.Namespace).Watch(ctx, metav1.SingleObject(pod.ObjectMeta))
		e2eframework.ExpectNoError(err)
		defer w.Stop()
		e2eframework.ExpectNoError(f.ClientSet.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{}))
		messages := map[string]string{}
		timeout := time.After(lifecycleTimeout)
	watching:
		for {
			select {
			case ev, ok := <-w.ResultChan():
				if !ok {
					break watching
				}
				p, isPod := ev.Object.(*v1.Pod)
				if !isPod {
					continue
				}
				for _, cs := range append(p.Status.InitContainerStatuses, p.Status.ContainerStatuses...) {
					if t := cs.State.Terminated; t != nil && t.Message != "" {
						messages[cs.Name] = t.Message
					}
				}
				if ev.Type == watch.Deleted {
					break watching
				}
			case <-timeout:
				Fail(fmt.Sprintf("the deleted pod was still there after %v", lifecycleTimeout))
			case <-ctx.Done():
				Fail("interrupted")
			}
		}
		Expect(messages).To(HaveKey("main"), "the main container's SIGTERM handler did not run: no termination message in the pod's last status")
		Expect(messages).To(HaveKey("sidecar"), "the sidecar's SIGTERM handler did not run: no termination message in the pod's last status")
		mainTerm, sidecarTerm := keyTime(messages["main"], "main-term"), keyTime(messages["sidecar"], "sidecar-term")
		Expect(sidecarTerm-mainTerm).To(BeNumerically(">=", 2.0),
			"the sidecar got SIGTERM %.1fs after the main container, before the main container exited 3s after its SIGTERM", sidecarTerm-mainTerm)
	})
})

// logTime returns the uptime a container printed as key=<uptime> in its
// log.
func logTime(ctx context.Context, f *e2eframework.Framework, pod, container, key string) float64 {
	GinkgoHelper()
	log, err := e2epod.GetPodLogs(ctx, f.ClientSet, f.Namespace.Name, pod, container)
	e2eframework.ExpectNoError(err, "get the log of container %s", container)
	return keyTime(log, key)
}

// keyTime returns the seconds of key=<seconds> in text.
func keyTime(text, key string) float64 {
	GinkgoHelper()
	v, ok := framework.KeyValues(text)[key]
	Expect(ok).To(BeTrueBecause("no %s= in %q", key, text))
	s, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	e2eframework.ExpectNoError(err, "parse %s=%s", key, v)
	return s
}
