package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/rand"
	kubeletconfig "k8s.io/kubelet/config/v1beta1"
	stats "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	e2epod "k8s.io/kubernetes/test/e2e/framework/pod"
	admissionapi "k8s.io/pod-security-admission/api"

	"github.com/node-test/node-test/suites/framework"
)

var _ = e2eframework.SIGDescribe("node")("KubeletEndpoints", e2eframework.WithNodeConformance(), func() {
	f := e2eframework.NewDefaultFramework("kubelet-endpoints")
	// The observer pod sees the host's processes.
	f.NamespacePodSecurityLevel = admissionapi.LevelPrivileged
	var node *v1.Node

	BeforeEach(func(ctx SpecContext) {
		var err error
		node, err = f.ClientSet.CoreV1().Nodes().Get(ctx, e2eframework.TestContext.NodeName, metav1.GetOptions{})
		e2eframework.ExpectNoError(err)
	})

	It("should answer ok on its healthz endpoint", func(ctx SpecContext) {
		body := kubeletGet(ctx, f, "healthz")
		Expect(string(body)).To(Equal("ok"), "the kubelet's /healthz")
	})

	It("should serve on /configz the configuration it runs with: its pods in the cgroups its cgroupDriver names, its staticPodPath the directory it watches", func(ctx SpecContext) {
		config := kubeletConfig(ctx, f)
		if dir := framework.NodeContext.StaticPodDir; dir != "" {
			Expect(config.StaticPodPath).To(Equal(dir), "the kubelet's staticPodPath is not the static pod directory given to the specs")
		}

		By("reading, on the host, the cgroup of a pod's container")
		marker := "node-test-cgroup-" + rand.String(8)
		pod := e2epod.NewPodClient(f).CreateSync(ctx, busyboxPod("cgroup", "main", "m="+marker+"; while true; do sleep 1; done"))
		observer := startObserver(ctx, f, nil)
		// The search's own processes must not match: its script builds the
		// marker from two halves and matches it in the shell itself.
		half := len(marker) / 2
		cgroup := observer.exec(`m=` + marker[:half] + `; m=${m}` + marker[half:] + `; for p in /proc/[0-9]*; do ` +
			`case "$(tr '\0' ' ' < $p/cmdline 2>/dev/null)" in *"$m"*) cat $p/cgroup; break ;; esac; done`)
		Expect(cgroup).NotTo(BeEmpty(), "the observer does not see the container's process on the host")
		// The kubelet names a pod's cgroup, and the runtime creates the
		// container's under it: a runtime set to the other driver than the
		// kubelet's puts it elsewhere.
		uid := string(pod.UID)
		want := "/pod" + uid + "/"
		if config.CgroupDriver == "systemd" {
			want = "-pod" + strings.ReplaceAll(uid, "-", "_") + ".slice"
		}
		Expect(cgroup).To(ContainSubstring(want), "the container's cgroups are not named as the kubelet's cgroupDriver %q names its pod's (%s)", config.CgroupDriver, want)
	})

	It("should serve node and pod figures on its summary stats API that agree with the node", func(ctx SpecContext) {
		pod := busyboxPod("stats", "main", "while true; do sleep 1; done")
		pod = e2epod.NewPodClient(f).CreateSync(ctx, pod)

		var summary stats.Summary
		var podStats *stats.PodStats
		framework.FailUnless(e2eframework.Gomega().Eventually(ctx, func(ctx context.Context) error {
			body := kubeletGet(ctx, f, "stats/summary")
			summary = stats.Summary{}
			if err := json.Unmarshal(body, &summary); err != nil {
				return fmt.Errorf("decode the summary: %w", err)
			}
			podStats = nil
			for i := range summary.Pods {
				if summary.Pods[i].PodRef.UID == string(pod.UID) {
					podStats = &summary.Pods[i]
				}
			}
			switch {
			case summary.Node.CPU == nil || summary.Node.CPU.UsageNanoCores == nil:
				return errors.New("the summary has no node CPU usage yet")
			case podStats == nil:
				return fmt.Errorf("the summary has no figures for pod %s yet", pod.Name)
			case len(podStats.Containers) != 1 || podStats.Containers[0].Memory == nil || podStats.Containers[0].CPU == nil ||
				podStats.Containers[0].CPU.UsageCoreNanoSeconds == nil:
				return fmt.Errorf("the summary has no CPU and memory figures for the container of pod %s yet", pod.Name)
			}
			return nil
		}).WithTimeout(lifecycleTimeout).WithPolling(2*time.Second).Should(Succeed()),
			"the kubelet's summary stats API never had the node's CPU usage and the running pod's figures")

		n := summary.Node
		Expect(n.NodeName).To(Equal(node.Name), "the summary's node name")
		cores := node.Status.Capacity[v1.ResourceCPU]
		Expect(*n.CPU.UsageNanoCores).To(BeNumerically("<=", uint64(cores.MilliValue())*1_000_000*11/10),
			"the node's CPU usage is above its %s cores", cores.String())
		memory := node.Status.Capacity[v1.ResourceMemory]
		Expect(n.Memory).NotTo(BeNil(), "the summary has no node memory figures")
		Expect(n.Memory.WorkingSetBytes).NotTo(BeNil())
		Expect(*n.Memory.WorkingSetBytes).To(And(BeNumerically(">", 0), BeNumerically("<=", uint64(memory.Value()))),
			"the node's memory working set is not within its %s capacity", memory.String())
		Expect(n.Fs).NotTo(BeNil(), "the summary has no node filesystem figures")
		Expect(n.Fs.CapacityBytes).NotTo(BeNil())
		Expect(n.Fs.UsedBytes).NotTo(BeNil())
		Expect(*n.Fs.UsedBytes).To(BeNumerically("<=", *n.Fs.CapacityBytes), "the node filesystem's used bytes exceed its capacity")
		Expect(summary.Node.Runtime).NotTo(BeNil(), "the summary has no runtime figures")
		Expect(summary.Node.Runtime.ImageFs).NotTo(BeNil(), "the summary has no image filesystem figures")
		Expect(summary.Node.Runtime.ImageFs.CapacityBytes).NotTo(BeNil())

		c := podStats.Containers[0]
		Expect(c.Name).To(Equal("main"))
		Expect(*c.Memory.WorkingSetBytes).To(And(BeNumerically(">", 0), BeNumerically("<", *n.Memory.WorkingSetBytes)),
			"the running container's memory working set is not within the node's")
		Expect(*c.CPU.UsageCoreNanoSeconds).To(BeNumerically(">", 0), "the running container has used no CPU")
	})

	It("should serve the pods it runs on its read-only port, when enabled", func(ctx SpecContext) {
		config := kubeletConfig(ctx, f)
		if config.ReadOnlyPort == 0 {
			Skip("the kubelet's read-only port is disabled (readOnlyPort: 0)")
		}
		var address string
		for _, a := range node.Status.Addresses {
			if a.Type == v1.NodeInternalIP && address == "" {
				address = a.Address
			}
		}
		Expect(address).NotTo(BeEmpty(), "the node reports no InternalIP")
		pod := e2epod.NewPodClient(f).CreateSync(ctx, busyboxPod("read-only-port", "main", "sleep 3600"))

		base := "http://" + net.JoinHostPort(address, strconv.Itoa(int(config.ReadOnlyPort)))
		Expect(string(httpGet(ctx, base+"/healthz"))).To(Equal("ok"), "the read-only port's /healthz")
		var pods v1.PodList
		e2eframework.ExpectNoError(json.Unmarshal(httpGet(ctx, base+"/pods"), &pods), "decode the read-only port's /pods")
		var uids []string
		for _, p := range pods.Items {
			uids = append(uids, string(p.UID))
		}
		Expect(uids).To(ContainElement(string(pod.UID)), "the read-only port's /pods lacks a pod the kubelet runs")
	})
})

// kubeletAccessFix is how to let node-test reach a kubelet that refuses
// the control plane's requests.
const kubeletAccessFix = "give node-test a client certificate the kubelet's client CA signed (KUBELET_CLIENT_CERT, KUBELET_CLIENT_KEY), or let the kubelet serve anonymous requests"

// kubeletGet gets path from the kubelet under test; when the kubelet
// refuses the control plane's requests, the spec is not run.
func kubeletGet(ctx context.Context, f *e2eframework.Framework, path string) []byte {
	GinkgoHelper()
	body, err := framework.KubeletGet(ctx, f.ClientSet, e2eframework.TestContext.NodeName, path)
	if errors.Is(err, framework.ErrKubeletRefused) {
		framework.SkipNotRun(err.Error(), kubeletAccessFix)
	}
	e2eframework.ExpectNoError(err)
	return body
}

// kubeletConfig returns the kubelet's configuration from its /configz;
// when the kubelet refuses the control plane's requests, the spec is not
// run.
func kubeletConfig(ctx context.Context, f *e2eframework.Framework) *kubeletconfig.KubeletConfiguration {
	GinkgoHelper()
	config, err := framework.KubeletConfig(ctx, f.ClientSet, e2eframework.TestContext.NodeName)
	if errors.Is(err, framework.ErrKubeletRefused) {
		framework.SkipNotRun(err.Error(), kubeletAccessFix)
	}
	e2eframework.ExpectNoError(err)
	return config
}

// httpGet gets url, which must answer 200.
func httpGet(ctx context.Context, url string) []byte {
	GinkgoHelper()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	e2eframework.ExpectNoError(err)
	resp, err := http.DefaultClient.Do(req)
	e2eframework.ExpectNoError(err, "get %s", url)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	e2eframework.ExpectNoError(err, "read %s", url)
	Expect(resp.StatusCode).To(Equal(http.StatusOK), "get %s: %s", url, body)
	return body
}
