package container

import (
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	v1 "k8s.io/api/core/v1"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	admissionapi "k8s.io/pod-security-admission/api"
	"k8s.io/utils/ptr"

	"github.com/node-test/node-test/suites/framework"
)

var _ = e2eframework.SIGDescribe("node")("ContainerSecurityContext", e2eframework.WithNodeConformance(), func() {
	f := e2eframework.NewDefaultFramework("container-security-context")
	// Capabilities, root and privileged containers are beyond the baseline
	// level.
	f.NamespacePodSecurityLevel = admissionapi.LevelPrivileged

	It("should give a container that drops ALL and adds NET_ADMIN and CHOWN exactly those capabilities", func(ctx SpecContext) {
		added := []v1.Capability{"NET_ADMIN", "CHOWN"}
		pod := framework.BusyboxPod("caps-added", v1.Container{Name: "status", Command: []string{"cat", "/proc/self/status"},
			SecurityContext: &v1.SecurityContext{
				RunAsUser:    ptr.To[int64](0),
				Capabilities: &v1.Capabilities{Drop: []v1.Capability{"ALL"}, Add: added},
			}})
		status := framework.ParseProcStatus(framework.Output(ctx, f, pod)["status"])
		want, err := framework.CapabilityMask(added...)
		e2eframework.ExpectNoError(err)
		for _, set := range []string{"CapEff", "CapPrm", "CapBnd"} {
			got, err := status.Mask(set)
			e2eframework.ExpectNoError(err)
			Expect(framework.CapabilityNames(got)).To(Equal(framework.CapabilityNames(want)),
				"the container's %s is not exactly the capabilities the pod adds to none", set)
		}
	})

	It("should remove a dropped capability from the runtime's default set", func(ctx SpecContext) {
		root := &v1.SecurityContext{RunAsUser: ptr.To[int64](0)}
		dropped := &v1.SecurityContext{RunAsUser: ptr.To[int64](0), Capabilities: &v1.Capabilities{Drop: []v1.Capability{"CHOWN"}}}
		pod := framework.BusyboxPod("caps-dropped",
			v1.Container{Name: "default", Command: []string{"cat", "/proc/self/status"}, SecurityContext: root},
			v1.Container{Name: "dropped", Command: []string{"cat", "/proc/self/status"}, SecurityContext: dropped})
		logs := framework.Output(ctx, f, pod)
		chown, err := framework.CapabilityMask("CHOWN")
		e2eframework.ExpectNoError(err)

		def, err := framework.ParseProcStatus(logs["default"]).Mask("CapEff")
		e2eframework.ExpectNoError(err)
		Expect(def&chown).NotTo(BeZero(), "a root container lacks CHOWN, in every runtime's default set: %v", framework.CapabilityNames(def))
		got, err := framework.ParseProcStatus(logs["dropped"]).Mask("CapEff")
		e2eframework.ExpectNoError(err)
		Expect(framework.CapabilityNames(got)).NotTo(ContainElement("CHOWN"), "the container that drops CHOWN still holds it")
		Expect(framework.CapabilityNames(got)).To(Equal(framework.CapabilityNames(def&^chown)),
			"dropping CHOWN changed more of the default capabilities than CHOWN")
	})

	It("should give a privileged container every capability the host's init process holds", func(ctx SpecContext) {
		// Not every capability the kernel knows: a host may run its
		// whole system with a smaller bounding set.
		pod := framework.BusyboxPod("privileged", v1.Container{Name: "status",
			Command:         []string{"sh", "-c", "cat /proc/1/status; echo ---; cat /proc/self/status"},
			SecurityContext: &v1.SecurityContext{Privileged: ptr.To(true), RunAsUser: ptr.To[int64](0)}})
		pod.Spec.HostPID = true
		host, self, _ := strings.Cut(framework.Output(ctx, f, pod)["status"], "---")
		all, err := framework.ParseProcStatus(host).Mask("CapBnd")
		e2eframework.ExpectNoError(err, "the host init's status")
		Expect(all).NotTo(BeZero(), "the host's init process has an empty bounding set")
		status := framework.ParseProcStatus(self)
		for _, set := range []string{"CapEff", "CapBnd"} {
			got, err := status.Mask(set)
			e2eframework.ExpectNoError(err)
			Expect(framework.CapabilityNames(all&^got)).To(BeEmpty(), "the privileged container's %s misses capabilities the host holds", set)
		}
	})

	It("should run the container with the pod's runAsUser, runAsGroup and supplementalGroups", func(ctx SpecContext) {
		const uid, gid, group = 1234, 5678, 4321
		pod := framework.BusyboxPod("ids", v1.Container{Name: "status", Command: []string{"cat", "/proc/self/status"}})
		pod.Spec.SecurityContext = &v1.PodSecurityContext{
			RunAsUser: ptr.To[int64](uid), RunAsGroup: ptr.To[int64](gid), SupplementalGroups: []int64{group},
		}
		status := framework.ParseProcStatus(framework.Output(ctx, f, pod)["status"])
		uids, err := status.IDs("Uid")
		e2eframework.ExpectNoError(err)
		Expect(uids).To(HaveEach(int64(uid)), "the container does not run as the pod's runAsUser %d", uid)
		gids, err := status.IDs("Gid")
		e2eframework.ExpectNoError(err)
		Expect(gids).To(HaveEach(int64(gid)), "the container does not run with the pod's runAsGroup %d", gid)
		groups, err := status.IDs("Groups")
		e2eframework.ExpectNoError(err)
		Expect(groups).To(ContainElement(int64(group)), "the container lacks the pod's supplemental group %d", group)
	})

	It("should give an emptyDir volume the pod's fsGroup, with the setgid bit, writable by a non-root user of the group", func(ctx SpecContext) {
		const uid, fsGroup = 1234, 2345
		pod := framework.BusyboxPod("fsgroup", v1.Container{Name: "stat",
			Command:      []string{"sh", "-c", "stat -c '%g %A' /data && touch /data/file && stat -c '%g' /data/file"},
			VolumeMounts: []v1.VolumeMount{{Name: "data", MountPath: "/data"}}})
		pod.Spec.SecurityContext = &v1.PodSecurityContext{RunAsUser: ptr.To[int64](uid), FSGroup: ptr.To[int64](fsGroup)}
		pod.Spec.Volumes = []v1.Volume{{Name: "data", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}}}}
		lines := strings.Fields(framework.Output(ctx, f, pod)["stat"])
		Expect(lines).To(HaveLen(3), "unexpected output of stat")
		Expect(lines[0]).To(Equal(strconv.Itoa(fsGroup)), "the emptyDir volume's group is not the pod's fsGroup")
		Expect(lines[1]).To(HavePrefix("d"))
		Expect(string(lines[1][6])).To(Equal("s"), "the emptyDir volume lacks the setgid bit: %s", lines[1])
		Expect(lines[2]).To(Equal(strconv.Itoa(fsGroup)), "a file created in the emptyDir volume does not inherit the fsGroup")
	})
})
