package runtime

import (
	"fmt"
	"path/filepath"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	v1 "k8s.io/api/core/v1"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	e2epod "k8s.io/kubernetes/test/e2e/framework/pod"
	admissionapi "k8s.io/pod-security-admission/api"
	"k8s.io/utils/ptr"

	"github.com/node-test/node-test/suites/framework"
)

// critest's counterpart: "mount with 'rprivate' / 'rshared' / 'rslave'
// should (not) support propagation" (its Container Mount Propagation
// checks), through CRI alone.
var _ = e2eframework.SIGDescribe("node")("MountPropagation", e2eframework.WithNodeConformance(), func() {
	f := e2eframework.NewDefaultFramework("mount-propagation")
	// A hostPath volume, a privileged container with Bidirectional
	// propagation and the observer.
	f.NamespacePodSecurityLevel = admissionapi.LevelPrivileged

	It("should propagate mounts between the host and a volume as its mountPropagation says: Bidirectional both ways, HostToContainer into it, None neither", func(ctx SpecContext) {
		observer := framework.StartHostObserver(ctx, f)
		// A directory of the host's, made and mounted on by the observer in
		// the host's mount namespace.
		dir := "/tmp/node-test-propagation-" + f.Namespace.Name
		host := observer.OnHost
		host(fmt.Sprintf("mkdir -p %s/from-host %s/from-container", dir, dir))
		DeferCleanup(func() {
			// Mounts a container propagated to the host outlive it.
			host(fmt.Sprintf("umount %s/from-container 2>/dev/null; umount %s/from-host 2>/dev/null; rm -rf %s; true", dir, dir, dir))
		})

		const mnt = "/mnt/volume"
		pod := framework.BusyboxPod("propagation",
			propagationContainer("bidirectional", v1.MountPropagationBidirectional, "sleep 3600"),
			propagationContainer("host-to-container", v1.MountPropagationHostToContainer, "sleep 3600"),
			propagationContainer("none", v1.MountPropagationNone, "sleep 3600"))
		pod.Spec.Containers[0].SecurityContext = &v1.SecurityContext{Privileged: ptr.To(true)}
		pod.Spec.Volumes = []v1.Volume{{Name: "host", VolumeSource: v1.VolumeSource{HostPath: &v1.HostPathVolumeSource{Path: dir}}}}
		pod = e2epod.NewPodClient(f).CreateSync(ctx, pod)

		// Both mounts come once every container runs: a mount there before a
		// container starts is in its volume whatever the propagation.
		By("mounting a tmpfs on the host, in the volume's directory, after the containers started")
		host(fmt.Sprintf("mount -t tmpfs tmpfs %s/from-host && echo host > %s/from-host/mark", dir, dir))
		By("mounting a tmpfs in the Bidirectional container's volume")
		execIn(f, pod, "bidirectional", fmt.Sprintf("mount -t tmpfs tmpfs %s/from-container && echo container > %s/from-container/mark", mnt, mnt))

		read := func(container, file string) string {
			return execIn(f, pod, container, fmt.Sprintf("cat %s 2>/dev/null; true", filepath.Join(mnt, file)))
		}
		Eventually(ctx, func() string { return host(fmt.Sprintf("cat %s/from-container/mark 2>/dev/null; true", dir)) }).
			WithTimeout(time.Minute).Should(Equal("container"),
			"the host does not see the mount the Bidirectional container made in its volume")
		mounts := func(container string) string {
			return execIn(f, pod, container, "grep /mnt/volume /proc/self/mountinfo; true")
		}
		Expect(read("host-to-container", "from-host/mark")).To(Equal("host"),
			"the HostToContainer container does not see the mount the host made in its volume after it started; its mounts there:\n%s", mounts("host-to-container"))
		Expect(read("host-to-container", "from-container/mark")).To(Equal("container"),
			"the HostToContainer container does not see the mount the Bidirectional container made, through the host; its mounts there:\n%s", mounts("host-to-container"))
		Expect(read("none", "from-host/mark")).To(BeEmpty(),
			"the container whose volume's mountPropagation is None sees the mount the host made after it started; its mounts there:\n%s", mounts("none"))
		Expect(read("none", "from-container/mark")).To(BeEmpty(),
			"the container whose volume's mountPropagation is None sees the mount another container made; its mounts there:\n%s", mounts("none"))
	})
})

// propagationContainer runs script with the hostPath volume mounted at
// /mnt/volume with propagation.
func propagationContainer(name string, propagation v1.MountPropagationMode, script string) v1.Container {
	c := framework.BusyboxContainer(name, script)
	c.VolumeMounts = []v1.VolumeMount{{Name: "host", MountPath: "/mnt/volume", MountPropagation: &propagation}}
	return c
}
