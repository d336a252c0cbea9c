package runtime

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"k8s.io/apimachinery/pkg/api/resource"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	e2epod "k8s.io/kubernetes/test/e2e/framework/pod"
	admissionapi "k8s.io/pod-security-admission/api"

	"github.com/node-test/node-test/suites/framework"
)

const (
	// The kubelet's defaults, where its /configz cannot be read.
	defaultContainerLogMaxSize = "10Mi"
	defaultPodLogsDir          = "/var/log/pods"
	// rotateTimeout bounds the wait for the kubelet to rotate a log past
	// its maximum size: it looks every containerLogMonitorInterval, 10 s
	// by default.
	rotateTimeout = 2 * time.Minute
)

// afterRotation is the line the container writes, numbered, once a second
// after its burst.
var afterRotation = regexp.MustCompile(`after-burst (\d+)`)

// critest's counterpart: "runtime should support reopening container log"
// (its Container checks), through CRI alone; the rotation is the kubelet's.
var _ = e2eframework.SIGDescribe("node")("ContainerLogRotation", e2eframework.WithNodeConformance(), func() {
	f := e2eframework.NewDefaultFramework("container-log-rotation")
	// The observer reads the host's pod log directory.
	f.NamespacePodSecurityLevel = admissionapi.LevelPrivileged

	It("should rotate a container's log past containerLogMaxSize, the runtime writing on into the new file", func(ctx SpecContext) {
		maxSize, logsDir := logLimits(ctx, f)
		size, err := resource.ParseQuantity(maxSize)
		e2eframework.ExpectNoError(err, "parse the kubelet's containerLogMaxSize %q", maxSize)
		burst := size.Value() + size.Value()/2
		observer := framework.StartHostObserver(ctx, f)
		script := fmt.Sprintf(`yes node-test-log-rotation-padding-line | head -c %d; i=0; while true; do echo "after-burst $i"; i=$((i+1)); sleep 1; done`, burst)
		pod := framework.BusyboxPod("log-rotation", framework.BusyboxContainer("main", script))
		pod = e2epod.NewPodClient(f).CreateSync(ctx, pod)
		dir := filepath.Join(logsDir, fmt.Sprintf("%s_%s_%s", pod.Namespace, pod.Name, pod.UID), "main")

		By(fmt.Sprintf("waiting for the kubelet to rotate %s/0.log, %d bytes written past its containerLogMaxSize %s", dir, burst, maxSize))
		var listing string
		Eventually(ctx, func() bool {
			listing = observer.OnHost("ls -l " + dir + " 2>&1; true")
			return strings.Contains(listing, "0.log.")
		}).WithTimeout(rotateTimeout).WithPolling(2*time.Second).Should(BeTrue(),
			"the kubelet did not rotate the container's log, %d bytes past its containerLogMaxSize %s, within %v: %s holds\n%s", burst, maxSize, rotateTimeout, dir, listing)

		By("checking that the runtime writes on into the new 0.log (CRI ReopenContainerLog)")
		last := func() int {
			out := observer.OnHost("tail -n 3 " + dir + "/0.log 2>&1; true")
			n := -1
			for _, m := range afterRotation.FindAllStringSubmatch(out, -1) {
				v, _ := strconv.Atoi(m[1])
				n = max(n, v)
			}
			return n
		}
		first := last()
		held := "no numbered line"
		if first >= 0 {
			held = fmt.Sprintf("no line past %d", first)
		}
		Eventually(ctx, last).WithTimeout(30*time.Second).WithPolling(time.Second).Should(BeNumerically(">", max(first, 0)),
			"the container writes a line a second, but %s/0.log, new since the rotation, gets %s in 30s: the runtime writes into the rotated file\n%s", dir, held, listing)
		log, err := e2epod.GetPodLogs(ctx, f.ClientSet, pod.Namespace, pod.Name, "main")
		e2eframework.ExpectNoError(err)
		Expect(afterRotation.MatchString(log)).To(BeTrue(), "the container's log through the API has no line written after the rotation: %.300s", log)
	})
})

// logLimits returns the kubelet's containerLogMaxSize and podLogsDir, from
// its /configz, or their defaults.
func logLimits(ctx context.Context, f *e2eframework.Framework) (string, string) {
	maxSize, dir := defaultContainerLogMaxSize, defaultPodLogsDir
	config, err := framework.KubeletConfig(ctx, f.ClientSet, e2eframework.TestContext.NodeName)
	if err != nil {
		e2eframework.Logf("the kubelet's /configz: %v: assuming containerLogMaxSize %s and the pod log directory %s", err, maxSize, dir)
		return maxSize, dir
	}
	if config.ContainerLogMaxSize != "" {
		maxSize = config.ContainerLogMaxSize
	}
	if config.PodLogsDir != "" {
		dir = config.PodLogsDir
	}
	return maxSize, dir
}
