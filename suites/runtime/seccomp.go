package runtime

import (
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	v1 "k8s.io/api/core/v1"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	admissionapi "k8s.io/pod-security-admission/api"
	"k8s.io/utils/ptr"

	"github.com/node-test/node-test/suites/framework"
)

// trySyscalls is what each container of the seccomp specs runs: it tries
// unshare(CLONE_NEWUSER), which needs no capability but which the runtimes'
// default seccomp profiles deny to a container without CAP_SYS_ADMIN, and
// mkdir, and prints the outcomes, its seccomp mode and whether the node
// lets processes create user namespaces at all.
const trySyscalls = `unshare -U true 2>/dev/null && echo unshare=allowed || echo unshare=denied
mkdir /tmp/dir 2>/dev/null && echo mkdir=allowed || echo mkdir=denied
echo seccomp=$(awk '/^Seccomp:/ {print $2}' /proc/self/status)
echo userns=$(cat /proc/sys/user/max_user_namespaces)`

// critest's counterparts: "runtime should support seccomp with the default
// profile / unconfined / a localhost profile" and "should not apply seccomp
// to a privileged container" (its SecurityContext checks), through CRI alone.
var _ = e2eframework.SIGDescribe("node")("Seccomp", e2eframework.WithNodeConformance(), func() {
	f := e2eframework.NewDefaultFramework("seccomp")
	// Unconfined and privileged containers.
	f.NamespacePodSecurityLevel = admissionapi.LevelPrivileged

	It("should deny a container under RuntimeDefault a syscall the runtime's default profile denies, and allow it Unconfined", func(ctx SpecContext) {
		pod := framework.BusyboxPod("seccomp",
			seccompContainer("runtime-default", &v1.SeccompProfile{Type: v1.SeccompProfileTypeRuntimeDefault}),
			seccompContainer("unconfined", &v1.SeccompProfile{Type: v1.SeccompProfileTypeUnconfined}))
		logs := framework.Output(ctx, f, pod)
		def, unconfined := outcomes(logs["runtime-default"]), outcomes(logs["unconfined"])
		if unconfined["unshare"] == "denied" && unconfined["userns"] == "0" {
			Skip("the node lets no process create a user namespace (user.max_user_namespaces is 0): unshare(CLONE_NEWUSER) cannot tell a seccomp profile's denial apart")
		}
		Expect(def["seccomp"]).To(Equal("2"), "the RuntimeDefault container runs without a seccomp filter (Seccomp: %s in /proc/self/status)", def["seccomp"])
		Expect(def["unshare"]).To(Equal("denied"), "the RuntimeDefault container could unshare(CLONE_NEWUSER), which the runtime's default seccomp profile denies without CAP_SYS_ADMIN")
		Expect(unconfined["seccomp"]).To(Equal("0"), "the Unconfined container runs with a seccomp filter (Seccomp: %s in /proc/self/status)", unconfined["seccomp"])
		Expect(unconfined["unshare"]).To(Equal("allowed"), "the Unconfined container could not unshare(CLONE_NEWUSER), though the node allows user namespaces and nothing filters its syscalls")
	})

	It("should enforce a Localhost profile from the kubelet's seccomp directory", func(ctx SpecContext) {
		// The kubelet's root directory is reachable at its path where the
		// specs run (node-test exposes it in its container).
		dir := filepath.Join(e2eframework.TestContext.KubeletRootDir, "seccomp")
		name := "node-test-" + f.Namespace.Name + ".json"
		profile := `{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}`
		e2eframework.ExpectNoError(os.MkdirAll(dir, 0o755))
		e2eframework.ExpectNoError(os.WriteFile(filepath.Join(dir, name), []byte(profile), 0o644))
		DeferCleanup(os.Remove, filepath.Join(dir, name))

		pod := framework.BusyboxPod("seccomp-localhost",
			seccompContainer("localhost", &v1.SeccompProfile{Type: v1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr.To(name)}))
		got := outcomes(framework.Output(ctx, f, pod)["localhost"])
		Expect(got["seccomp"]).To(Equal("2"), "the container of Localhost profile %s runs without a seccomp filter (Seccomp: %s)", name, got["seccomp"])
		Expect(got["mkdir"]).To(Equal("denied"), "the container could mkdir, which its Localhost profile %s in %s denies", name, dir)
	})

	It("should not filter the syscalls of a privileged container, whatever profile the pod asks for", func(ctx SpecContext) {
		c := seccompContainer("privileged", nil)
		c.SecurityContext.Privileged = ptr.To(true)
		pod := framework.BusyboxPod("seccomp-privileged", c)
		pod.Spec.SecurityContext = &v1.PodSecurityContext{SeccompProfile: &v1.SeccompProfile{Type: v1.SeccompProfileTypeRuntimeDefault}}
		got := outcomes(framework.Output(ctx, f, pod)["privileged"])
		Expect(got["seccomp"]).To(Equal("0"), "the privileged container runs with a seccomp filter (Seccomp: %s): privileged containers run unconfined", got["seccomp"])
		if got["userns"] != "0" {
			Expect(got["unshare"]).To(Equal("allowed"), "the privileged container could not unshare(CLONE_NEWUSER)")
		}
	})
})

// seccompContainer is a container that runs trySyscalls under profile.
func seccompContainer(name string, profile *v1.SeccompProfile) v1.Container {
	c := framework.BusyboxContainer(name, trySyscalls)
	c.SecurityContext = &v1.SecurityContext{SeccompProfile: profile}
	return c
}

// outcomes parses the key=value lines of trySyscalls' output.
func outcomes(log string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(log, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			out[k] = v
		}
	}
	if len(out) == 0 {
		e2eframework.Failf("the container printed nothing of its syscalls: %q", log)
	}
	return out
}
