package container

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	v1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	e2epod "k8s.io/kubernetes/test/e2e/framework/pod"
	"k8s.io/utils/ptr"

	"github.com/node-test/node-test/suites/framework"
)

// cgroupScript prints the container's own cgroup limits as key=value lines,
// from the cgroup v2 files or the v1 controllers' files.
const cgroupScript = `
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	echo version=2
	echo memory=$(cat /sys/fs/cgroup/memory.max)
	echo cpu.max=$(cat /sys/fs/cgroup/cpu.max)
	echo cpu.weight=$(cat /sys/fs/cgroup/cpu.weight)
else
	echo version=1
	echo memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)
	echo cpu.max="$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"
	echo cpu.shares=$(cat /sys/fs/cgroup/cpu/cpu.shares)
fi
`

// cfsPeriod is the CFS period the kubelet uses unless its cpuCFSQuotaPeriod
// says otherwise, in microseconds.
const cfsPeriod = 100000

var _ = e2eframework.SIGDescribe("node")("ContainerResources", e2eframework.WithNodeConformance(), func() {
	f := e2eframework.NewDefaultFramework("container-resources")

	It("should set the container's memory limit, CPU limit and CPU request as its own cgroup's values", func(ctx SpecContext) {
		const (
			memory   = "64Mi"
			cpuLimit = "300m"
			cpuReq   = "200m"
		)
		pod := restrictedPod("cgroup", "limits", []string{"sh", "-c", cgroupScript})
		pod.Spec.Containers[0].Resources = v1.ResourceRequirements{
			Requests: v1.ResourceList{v1.ResourceCPU: resource.MustParse(cpuReq), v1.ResourceMemory: resource.MustParse(memory)},
			Limits:   v1.ResourceList{v1.ResourceCPU: resource.MustParse(cpuLimit), v1.ResourceMemory: resource.MustParse(memory)},
		}
		By("running a pod that prints its cgroup's memory and CPU values")
		kv := framework.KeyValues(framework.Output(ctx, f, pod)["limits"])
		e2eframework.Logf("the container's cgroup: %v", kv)

		mem := resource.MustParse(memory)
		Expect(kv).To(HaveKeyWithValue("memory", strconv.FormatInt(mem.Value(), 10)),
			"the container's cgroup memory limit is not its %s memory limit", memory)

		limitQ, reqQ := resource.MustParse(cpuLimit), resource.MustParse(cpuReq)
		millis := limitQ.MilliValue()
		quota := millis * cfsPeriod / 1000
		Expect(kv).To(HaveKeyWithValue("cpu.max", fmt.Sprintf("%d %d", quota, cfsPeriod)),
			"the container's CFS quota and period are not its %s CPU limit", cpuLimit)

		shares := uint64(reqQ.MilliValue() * 1024 / 1000)
		if kv["version"] == "2" {
			Expect(kv["cpu.weight"]).To(BeElementOf(cpuWeights(shares)),
				"the container's cgroup cpu.weight does not match its %s CPU request (%d shares)", cpuReq, shares)
		} else {
			Expect(kv).To(HaveKeyWithValue("cpu.shares", strconv.FormatUint(shares, 10)),
				"the container's cgroup cpu.shares do not match its %s CPU request", cpuReq)
		}
	})

	It("should OOM-kill a container that goes over its memory limit and report it as OOMKilled", func(ctx SpecContext) {
		// containerd reports OOMKilled from an OOM event that it can handle
		// after the container's exit, and then reports the exit as Error
		// (containerd/containerd#8893; upstream's own OOM spec no longer
		// checks the reason for it). The kill itself is checked every time:
		// exit code 137. The report is given oomAttempts containers: one
		// reported OOMKilled passes, a runtime that never reports it fails.
		var lost []string
		for attempt := 1; attempt <= oomAttempts; attempt++ {
			state := runOOMContainer(ctx, f, attempt)
			Expect(state.ExitCode).To(Equal(int32(137)),
				"the container over its memory limit was not killed: it terminated with exit code %d, reason %q, message %q",
				state.ExitCode, state.Reason, state.Message)
			if state.Reason == "OOMKilled" {
				if len(lost) > 0 {
					AddReportEntry("OOM reports lost", strings.Join(lost, "; "))
				}
				return
			}
			lost = append(lost, fmt.Sprintf("attempt %d: exit code 137, reason %q", attempt, state.Reason))
			e2eframework.Logf("the runtime reported the OOM-killed container as %q, not OOMKilled (attempt %d of %d)", state.Reason, attempt, oomAttempts)
		}
		Fail(fmt.Sprintf("the runtime never reported an OOM-killed container as OOMKilled in %d attempts: %s",
			oomAttempts, strings.Join(lost, "; ")))
	})
})

// oomAttempts is how many OOM-killed containers the runtime is given to
// report one of them as OOMKilled.
const oomAttempts = 3

// runOOMContainer runs a pod whose container goes over its memory limit and
// returns that container's terminated state; the pod is deleted before it
// returns.
func runOOMContainer(ctx context.Context, f *e2eframework.Framework, attempt int) *v1.ContainerStateTerminated {
	GinkgoHelper()
	// Files in /dev/shm (a tmpfs of 64MB) are memory charged to the
	// container and that nothing can reclaim: writing 60MB under a 32Mi
	// limit leaves the kernel no way out but the OOM killer.
	// A second container, idle, gives the pod's cgroup (the sum of its
	// containers' limits) room beyond the filling container's limit:
	// with one container the two limits are equal, and the kernel may
	// OOM-kill at the pod's level, which no runtime reports as the
	// container's OOM.
	pod := framework.BusyboxPod(fmt.Sprintf("oom-%d", attempt),
		v1.Container{Name: "fill", Command: []string{"dd", "if=/dev/zero", "of=/dev/shm/fill", "bs=1M", "count=60"}},
		v1.Container{Name: "idle", Command: []string{"sleep", "3600"}})
	e2eframework.ExpectNoError(e2epod.MixinRestrictedPodSecurity(pod))
	pod.Spec.RestartPolicy = v1.RestartPolicyNever
	pod.Spec.TerminationGracePeriodSeconds = ptr.To[int64](1)
	limit := v1.ResourceList{v1.ResourceMemory: resource.MustParse("32Mi")}
	for i := range pod.Spec.Containers {
		pod.Spec.Containers[i].Resources = v1.ResourceRequirements{Requests: limit, Limits: limit}
	}

	By(fmt.Sprintf("running a container that writes 60MB to its /dev/shm under a 32Mi memory limit (attempt %d)", attempt))
	client := e2epod.NewPodClient(f)
	pod = client.Create(ctx, pod)
	defer client.DeleteSync(ctx, pod.Name, metav1.DeleteOptions{}, e2eframework.PodDeleteTimeout)
	var state *v1.ContainerStateTerminated
	framework.FailUnless(e2eframework.Gomega().Eventually(ctx, func(ctx context.Context) error {
		p, err := f.ClientSet.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, c := range p.Status.ContainerStatuses {
			if c.Name == "fill" && c.State.Terminated != nil {
				state = c.State.Terminated
				return nil
			}
		}
		return fmt.Errorf("container fill of pod %s has not terminated", pod.Name)
	}).WithTimeout(framework.OutputTimeout).WithPolling(time.Second).Should(Succeed()),
		"the container over its memory limit did not terminate")
	return state
}

// cpuWeights returns the cgroup v2 cpu.weight values a runtime may set for
// CPU shares: the linear conversion of runc < 1.3.2 and crun < 1.23, and the
// quadratic one of their later releases.
func cpuWeights(shares uint64) []string {
	linear := 1 + ((shares-2)*9999)/262142
	l := math.Log2(float64(shares))
	quadratic := uint64(math.Ceil(math.Pow(10, (l*l+125*l)/612.0-7.0/34.0)))
	return []string{strconv.FormatUint(linear, 10), strconv.FormatUint(quadratic, 10)}
}

// restrictedPod is a pod of the restricted level with one busybox
// container running command, with the runtime handler under test.
func restrictedPod(name, container string, command []string) *v1.Pod {
	GinkgoHelper()
	pod := framework.BusyboxPod(name, v1.Container{Name: container, Command: command})
	e2eframework.ExpectNoError(e2epod.MixinRestrictedPodSecurity(pod))
	return pod
}
