package container

import (
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	e2epod "k8s.io/kubernetes/test/e2e/framework/pod"
	admissionapi "k8s.io/pod-security-admission/api"
	"k8s.io/utils/ptr"

	"github.com/node-test/node-test/suites/framework"
)

// seccompFilter is the Seccomp field of /proc/<pid>/status for a process
// under a seccomp filter (SECCOMP_MODE_FILTER).
const seccompFilter = "2"

var _ = e2eframework.SIGDescribe("node")("PodSecurity", e2eframework.WithNodeConformance(), func() {
	f := e2eframework.NewDefaultFramework("pod-security")
	f.NamespacePodSecurityLevel = admissionapi.LevelRestricted

	It("should run a pod of the restricted level with no_new_privs, no capabilities, a seccomp filter and a non-root user, as its container sees itself", func(ctx SpecContext) {
		By("checking that the namespace enforces the restricted level")
		ns, err := f.ClientSet.CoreV1().Namespaces().Get(ctx, f.Namespace.Name, metav1.GetOptions{})
		e2eframework.ExpectNoError(err, "get namespace %s", f.Namespace.Name)
		Expect(ns.Labels).To(HaveKeyWithValue(admissionapi.EnforceLevelLabel, string(admissionapi.LevelRestricted)))
		privileged := statusPod("privileged")
		privileged.Spec.Containers[0].SecurityContext = &v1.SecurityContext{Privileged: ptr.To(true)}
		_, err = f.ClientSet.CoreV1().Pods(f.Namespace.Name).Create(ctx, privileged, metav1.CreateOptions{})
		Expect(apierrors.IsForbidden(err)).To(BeTrueBecause("a privileged pod in a namespace enforcing the restricted level was not refused: %v", err))

		By("running a pod of the restricted level that prints its /proc/self/status")
		pod := statusPod("restricted")
		e2eframework.ExpectNoError(e2epod.MixinRestrictedPodSecurity(pod))
		uid := *pod.Spec.SecurityContext.RunAsUser
		status := framework.ParseProcStatus(framework.Output(ctx, f, pod)["status"])

		Expect(status).To(HaveKeyWithValue("NoNewPrivs", "1"),
			"the container can gain privileges: allowPrivilegeEscalation: false did not set no_new_privs")
		Expect(status).To(HaveKeyWithValue("Seccomp", seccompFilter),
			"the container is not under a seccomp filter: seccompProfile RuntimeDefault was not applied")
		for _, set := range []string{"CapEff", "CapPrm", "CapInh", "CapAmb", "CapBnd"} {
			caps, err := status.Mask(set)
			e2eframework.ExpectNoError(err)
			Expect(framework.CapabilityNames(caps)).To(BeEmpty(),
				"the container holds capabilities in %s although the pod drops ALL", set)
		}
		uids, err := status.IDs("Uid")
		e2eframework.ExpectNoError(err)
		Expect(uids).NotTo(ContainElement(int64(0)), "the container runs as root although the pod runs as non-root")
		Expect(uids).To(HaveEach(uid), fmt.Sprintf("the container does not run as the pod's runAsUser %d", uid))
	})
})

// statusPod is a pod whose container, named status, prints its
// /proc/self/status.
func statusPod(name string) *v1.Pod {
	return framework.BusyboxPod(name, v1.Container{Name: "status", Command: []string{"cat", "/proc/self/status"}})
}
