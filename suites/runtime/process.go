package runtime

import (
	"strconv"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	admissionapi "k8s.io/pod-security-admission/api"

	"github.com/node-test/node-test/suites/framework"
)

// The least limits of open files a container may start with: the Linux
// kernel's own defaults for its first process (INR_OPEN_CUR, INR_OPEN_MAX),
// which programs assume (select's FD_SETSIZE is 1024). A runtime that gives
// less lowered them; systemd raises the hard one to 524288 and containerd's
// unit before 2.0 both to 1048576.
const (
	minOpenFilesSoft = 1024
	minOpenFilesHard = 4096
)

// critest has no counterpart: the limits a container's process starts
// with are the runtime's (containerd and CRI-O pass on their own, or their
// configuration's).
var _ = e2eframework.SIGDescribe("node")("ContainerProcess", e2eframework.WithNodeConformance(), func() {
	f := e2eframework.NewDefaultFramework("container-process")
	f.NamespacePodSecurityLevel = admissionapi.LevelBaseline

	It("should start a container's process with open-files limits of at least the kernel defaults, 1024 (soft) and 4096 (hard)", func(ctx SpecContext) {
		pod := framework.BusyboxPod("open-files", framework.BusyboxContainer("main", "echo $(ulimit -Sn) $(ulimit -Hn)"))
		out := strings.Fields(framework.Output(ctx, f, pod)["main"])
		Expect(out).To(HaveLen(2), "the container printed %q, not its soft and hard limits of open files", out)
		soft, hard := limit(out[0]), limit(out[1])
		AddReportEntry("open files soft limit", out[0])
		AddReportEntry("open files hard limit", out[1])
		Expect(soft).To(BeNumerically(">=", minOpenFilesSoft), "the container's soft limit of open files is %s, below %d", out[0], minOpenFilesSoft)
		Expect(hard).To(BeNumerically(">=", minOpenFilesHard), "the container's hard limit of open files is %s, below %d", out[1], minOpenFilesHard)
	})
})

// limit parses a limit as ulimit prints it; unlimited is the largest.
func limit(s string) uint64 {
	if s == "unlimited" {
		return ^uint64(0)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	e2eframework.ExpectNoError(err, "parse the limit %q", s)
	return n
}
