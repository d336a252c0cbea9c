package runtime

import (
	"fmt"
	"strings"

	. "github.com/onsi/ginkgo/v2"

	v1 "k8s.io/api/core/v1"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	e2epod "k8s.io/kubernetes/test/e2e/framework/pod"
	admissionapi "k8s.io/pod-security-admission/api"

	"github.com/node-test/node-test/suites/framework"
)

// What the termination message specs' containers write and print.
const (
	messagePath    = "/tmp/node-test-termination-message"
	messageWritten = "written-at-the-path"
	messageLogged  = "the-last-line-logged"
)

var _ = e2eframework.SIGDescribe("node")("ContainerProcess", e2eframework.WithNodeConformance(), func() {
	f := e2eframework.NewDefaultFramework("termination-message")
	f.NamespacePodSecurityLevel = admissionapi.LevelBaseline

	// critest has no counterpart (the kubelet reads the message from a file
	// it mounts); upstream's common specs of the same (Container Runtime
	// blackbox test on terminated container) check the default path, a
	// non-root user and the fallback alone.
	It("should report the termination message a container writes at its terminationMessagePath, and the tail of its log with FallbackToLogsOnError only when it wrote none and failed", func(ctx SpecContext) {
		written := framework.BusyboxContainer("written", fmt.Sprintf("printf %s >%s; echo %s", messageWritten, messagePath, messageLogged))
		written.TerminationMessagePath = messagePath
		bothFallback := framework.BusyboxContainer("written-then-failed", fmt.Sprintf("printf %s >%s; echo %s; exit 1", messageWritten, messagePath, messageLogged))
		bothFallback.TerminationMessagePath = messagePath
		bothFallback.TerminationMessagePolicy = v1.TerminationMessageFallbackToLogsOnError
		logged := framework.BusyboxContainer("logged-then-failed", fmt.Sprintf("echo %s; exit 1", messageLogged))
		logged.TerminationMessagePolicy = v1.TerminationMessageFallbackToLogsOnError
		pod := framework.BusyboxPod("termination-message", written, bothFallback, logged)
		pod.Spec.RestartPolicy = v1.RestartPolicyNever
		pod = e2epod.NewPodClient(f).Create(ctx, pod)
		err := e2epod.WaitForPodCondition(ctx, f.ClientSet, f.Namespace.Name, pod.Name, "all containers terminated", framework.OutputTimeout, func(p *v1.Pod) (bool, error) {
			pod = p
			for _, s := range p.Status.ContainerStatuses {
				if s.State.Terminated == nil {
					return false, nil
				}
			}
			return len(p.Status.ContainerStatuses) == len(p.Spec.Containers), nil
		})
		e2eframework.ExpectNoError(err, "wait for the containers of pod %s to terminate", pod.Name)
		reported := map[string]string{}
		for _, s := range pod.Status.ContainerStatuses {
			reported[s.Name] = strings.TrimSpace(s.State.Terminated.Message)
		}
		for _, want := range []struct{ container, message, why string }{
			{"written", messageWritten, "what the container wrote at its terminationMessagePath"},
			{"written-then-failed", messageWritten, "what it wrote at its terminationMessagePath (FallbackToLogsOnError takes the log only when nothing was written)"},
			{"logged-then-failed", messageLogged, "the tail of its log (FallbackToLogsOnError, nothing written, exit 1)"},
		} {
			if got := reported[want.container]; got != want.message {
				e2eframework.Failf("container %s's reported termination message is %q, not %s: %q", want.container, got, want.why, want.message)
			}
		}
	})
})
