package container

import (
	"slices"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	"k8s.io/utils/ptr"

	"github.com/node-test/node-test/suites/framework"
)

// mountScript prints the container's mountinfo, then whether it can write
// where the spec asks, as key=value lines.
const mountScript = `cat /proc/self/mountinfo
echo ---
for d in / /ro /rw; do
	if touch $d/probe 2>/dev/null; then echo "write$d=ok"; else echo "write$d=refused"; fi
done
`

var _ = e2eframework.SIGDescribe("node")("ContainerView", e2eframework.WithNodeConformance(), func() {
	f := e2eframework.NewDefaultFramework("container-view")

	It("should give the container the pod's hostname, and an /etc/hosts mapping it to the pod's IP", func(ctx SpecContext) {
		const hostname = "view-host"
		pod := restrictedPod("hostname", "view", []string{"sh", "-c", "hostname; echo ---; cat /etc/hosts"})
		pod.Spec.Hostname = hostname
		logs := framework.Output(ctx, f, pod)["view"]
		got, hosts, _ := strings.Cut(logs, "---")
		Expect(strings.TrimSpace(got)).To(Equal(hostname), "the container's hostname is not the pod's spec.hostname")

		Expect(pod.Status.PodIP).NotTo(BeEmpty(), "the pod has no IP in its status")
		Expect(hostsNames(hosts, pod.Status.PodIP)).To(ContainElement(hostname),
			"the kubelet-managed /etc/hosts does not map the pod's IP %s to its hostname:\n%s", pod.Status.PodIP, hosts)
	})

	It("should mount a read-only root filesystem and read-only volumes read-only, and writable volumes writable", func(ctx SpecContext) {
		pod := restrictedPod("mounts", "view", []string{"sh", "-c", mountScript})
		c := &pod.Spec.Containers[0]
		c.SecurityContext.ReadOnlyRootFilesystem = ptr.To(true)
		c.VolumeMounts = []v1.VolumeMount{{Name: "ro", MountPath: "/ro", ReadOnly: true}, {Name: "rw", MountPath: "/rw"}}
		pod.Spec.Volumes = []v1.Volume{
			{Name: "ro", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}}},
			{Name: "rw", VolumeSource: v1.VolumeSource{EmptyDir: &v1.EmptyDirVolumeSource{}}},
		}
		info, results, _ := strings.Cut(framework.Output(ctx, f, pod)["view"], "---")
		mounts, err := framework.ParseMountInfo(info)
		e2eframework.ExpectNoError(err)
		writes := framework.KeyValues(results)

		for point, ro := range map[string]bool{"/": true, "/ro": true, "/rw": false} {
			Expect(mounts).To(HaveKey(point), "the container has no mount on %s", point)
			Expect(mounts[point].ReadOnly()).To(Equal(ro), "the container's mount on %s is %s: options %v",
				point, map[bool]string{true: "writable, not read-only", false: "read-only, not writable"}[ro], mounts[point].Options)
			want := map[bool]string{true: "refused", false: "ok"}[ro]
			Expect(writes).To(HaveKeyWithValue("write"+point, want), "writing in %s was not %s", point, want)
		}
		By("checking the mounts the kubelet adds to every container")
		for _, point := range []string{"/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/dev/termination-log", "/dev/shm", "/proc", "/sys"} {
			Expect(mounts).To(HaveKey(point), "the container has no mount on %s", point)
		}
		Expect(mounts["/sys"].ReadOnly()).To(BeTrueBecause("an unprivileged container's /sys is writable: %v", mounts["/sys"].Options))
	})

	It("should mask and make read-only the sensitive /proc paths of an unprivileged container", func(ctx SpecContext) {
		// What the runtimes mask and make read-only by default
		// (containerd's and CRI-O's defaults, from runc's): paths only the
		// kernel's configuration may lack are checked where they exist.
		masked := []string{"/proc/kcore", "/proc/keys", "/proc/timer_list"}
		readOnly := []string{"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"}
		script := "cat /proc/self/mountinfo; echo ---; for p in " + strings.Join(append(masked, readOnly...), " ") +
			"; do [ -e $p ] && echo $p; done; true"
		pod := restrictedPod("masked", "view", []string{"sh", "-c", script})
		info, present, _ := strings.Cut(framework.Output(ctx, f, pod)["view"], "---")
		mounts, err := framework.ParseMountInfo(info)
		e2eframework.ExpectNoError(err)
		exists := strings.Fields(present)
		Expect(exists).To(ContainElement("/proc/sys"), "the container has no /proc/sys")
		for _, point := range masked {
			if slices.Contains(exists, point) {
				Expect(mounts).To(HaveKey(point), "%s is not masked in an unprivileged container", point)
			}
		}
		for _, point := range readOnly {
			if slices.Contains(exists, point) {
				Expect(mounts).To(HaveKey(point), "%s is not made read-only in an unprivileged container", point)
				Expect(mounts[point].ReadOnly()).To(BeTrueBecause("%s is writable in an unprivileged container: %v", point, mounts[point].Options))
			}
		}
	})

	It("should set the pod's safe sysctls in the container's namespaces", func(ctx SpecContext) {
		sysctls := map[string]string{
			"kernel.shm_rmid_forced":              "1",
			"net.ipv4.ip_local_port_range":        "20000 30000",
			"net.ipv4.ip_unprivileged_port_start": "100",
			"net.ipv4.ping_group_range":           "1000 2000",
		}
		var script strings.Builder
		pod := restrictedPod("sysctls", "view", nil)
		for name, value := range sysctls {
			pod.Spec.SecurityContext.Sysctls = append(pod.Spec.SecurityContext.Sysctls, v1.Sysctl{Name: name, Value: value})
			script.WriteString("echo " + name + "=$(cat /proc/sys/" + strings.ReplaceAll(name, ".", "/") + ")\n")
		}
		pod.Spec.Containers[0].Command = []string{"sh", "-c", script.String()}
		got := framework.KeyValues(framework.Output(ctx, f, pod)["view"])
		for name, value := range sysctls {
			// The kernel separates the two numbers of a range with a tab.
			Expect(strings.Join(strings.Fields(got[name]), " ")).To(Equal(value), "sysctl %s in the container is not the pod's", name)
		}
	})

	It("should give the container its environment: literal, dependent and downward API values, and its hostname", func(ctx SpecContext) {
		pod := restrictedPod("env", "view", []string{"env"})
		pod.Spec.Containers[0].Env = []v1.EnvVar{
			{Name: "LITERAL", Value: "value with spaces"},
			{Name: "NODE_NAME", ValueFrom: &v1.EnvVarSource{FieldRef: &v1.ObjectFieldSelector{FieldPath: "spec.nodeName"}}},
			{Name: "DEPENDENT", Value: "$(LITERAL)/$(NODE_NAME)"},
			{Name: "POD_UID", ValueFrom: &v1.EnvVarSource{FieldRef: &v1.ObjectFieldSelector{FieldPath: "metadata.uid"}}},
			{Name: "MEMORY_MI", ValueFrom: &v1.EnvVarSource{ResourceFieldRef: &v1.ResourceFieldSelector{
				Resource: "limits.memory", Divisor: resource.MustParse("1Mi")}}},
		}
		limit := v1.ResourceList{v1.ResourceMemory: resource.MustParse("48Mi")}
		pod.Spec.Containers[0].Resources = v1.ResourceRequirements{Requests: limit, Limits: limit}
		env := framework.KeyValues(framework.Output(ctx, f, pod)["view"])
		node := e2eframework.TestContext.NodeName

		Expect(env).To(HaveKeyWithValue("LITERAL", "value with spaces"))
		Expect(env).To(HaveKeyWithValue("NODE_NAME", node), "spec.nodeName through the downward API")
		Expect(env).To(HaveKeyWithValue("DEPENDENT", "value with spaces/"+node), "$(VAR) references not expanded")
		Expect(env).To(HaveKeyWithValue("POD_UID", string(pod.UID)), "metadata.uid through the downward API")
		Expect(env).To(HaveKeyWithValue("MEMORY_MI", "48"), "limits.memory through the downward API")
		Expect(env).To(HaveKeyWithValue("HOSTNAME", pod.Name), "HOSTNAME is not the pod's name")
	})
})

// hostsNames returns the names /etc/hosts gives to ip.
func hostsNames(hosts, ip string) []string {
	var names []string
	for _, line := range strings.Split(hosts, "\n") {
		fields := strings.Fields(line)
		if len(fields) > 1 && fields[0] == ip {
			names = append(names, fields[1:]...)
		}
	}
	return names
}
