package runtime

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	v1 "k8s.io/api/core/v1"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	e2epod "k8s.io/kubernetes/test/e2e/framework/pod"
	admissionapi "k8s.io/pod-security-admission/api"
	"k8s.io/utils/ptr"

	"github.com/node-test/node-test/suites/framework"
)

// critest's counterparts: "runtime should support HostNetwork/HostPID/
// HostIPC" and "should support ... shareProcessNamespace" (its
// NamespaceOption checks), through CRI alone.
var _ = e2eframework.SIGDescribe("node")("PodNamespaces", e2eframework.WithNodeConformance(), func() {
	f := e2eframework.NewDefaultFramework("pod-namespaces")
	// The observer, and the pods asking for the host's namespaces.
	f.NamespacePodSecurityLevel = admissionapi.LevelPrivileged

	It("should run a pod with hostNetwork, hostPID and hostIPC in the host's network, PID, IPC and UTS namespaces", func(ctx SpecContext) {
		observer := framework.StartHostObserver(ctx, f)
		host := observer.HostNamespaces()
		c, marker := framework.MarkedContainer("main", "sleep 3600")
		pod := framework.BusyboxPod("host-namespaces", c)
		pod.Spec.HostNetwork, pod.Spec.HostPID, pod.Spec.HostIPC = true, true, true
		e2epod.NewPodClient(f).CreateSync(ctx, pod)

		got := observer.Namespaces(observer.PIDOf(marker))
		for _, kind := range framework.NamespaceKinds {
			Expect(got[kind]).To(Equal(host[kind]),
				"the container's %s namespace is not the host's (the kubelet's, %s), though the pod asks for hostNetwork, hostPID and hostIPC", kind, host[kind])
		}
	})

	It("should give a pod without them network, PID, IPC and UTS namespaces of its own, its containers sharing the network, IPC and UTS ones but not the PID one", func(ctx SpecContext) {
		observer := framework.StartHostObserver(ctx, f)
		host := observer.HostNamespaces()
		a, markerA := framework.MarkedContainer("a", "sleep 3600")
		b, markerB := framework.MarkedContainer("b", "sleep 3600")
		e2epod.NewPodClient(f).CreateSync(ctx, framework.BusyboxPod("own-namespaces", a, b))

		nsA, nsB := observer.Namespaces(observer.PIDOf(markerA)), observer.Namespaces(observer.PIDOf(markerB))
		for _, kind := range framework.NamespaceKinds {
			Expect(nsA[kind]).NotTo(Equal(host[kind]), "container a is in the host's %s namespace, though the pod does not ask for it", kind)
		}
		for _, kind := range []string{"net", "ipc", "uts"} {
			Expect(nsB[kind]).To(Equal(nsA[kind]), "the containers of one pod are in different %s namespaces (%s and %s): they must share the pod's", kind, nsA[kind], nsB[kind])
		}
		Expect(nsB["pid"]).NotTo(Equal(nsA["pid"]), "the containers of a pod without shareProcessNamespace share a PID namespace")
	})

	It("should put a pod's containers in one PID namespace, where each sees the others' processes, when the pod sets shareProcessNamespace", func(ctx SpecContext) {
		observer := framework.StartHostObserver(ctx, f)
		host := observer.HostNamespaces()
		a, markerA := framework.MarkedContainer("a", "sleep 3600")
		b, markerB := framework.MarkedContainer("b", "sleep 3600")
		pod := framework.BusyboxPod("shared-pid", a, b)
		pod.Spec.ShareProcessNamespace = ptr.To(true)
		pod = e2epod.NewPodClient(f).CreateSync(ctx, pod)

		nsA, nsB := observer.Namespaces(observer.PIDOf(markerA)), observer.Namespaces(observer.PIDOf(markerB))
		Expect(nsA["pid"]).NotTo(Equal(host["pid"]), "the pod's containers are in the host's PID namespace, though the pod does not ask for hostPID")
		Expect(nsB["pid"]).To(Equal(nsA["pid"]), "the containers of a pod with shareProcessNamespace are in different PID namespaces (%s and %s)", nsA["pid"], nsB["pid"])
		By("looking for container b's process from container a")
		seen := execIn(f, pod, "a", fmt.Sprintf("grep -l '[%s]%s' /proc/[0-9]*/cmdline 2>/dev/null; true", markerB[:1], markerB[1:]))
		Expect(seen).NotTo(BeEmpty(), "container a does not see container b's process, though the pod sets shareProcessNamespace")
	})
})

// execIn runs script with sh -c in container of pod and returns its output.
func execIn(f *e2eframework.Framework, pod *v1.Pod, container, script string) string {
	GinkgoHelper()
	out, stderr, err := e2epod.ExecCommandInContainerWithFullOutput(f, pod.Name, container, "sh", "-c", script)
	e2eframework.ExpectNoError(err, "run %q in container %s of pod %s: %s", script, container, pod.Name, stderr)
	return out
}
