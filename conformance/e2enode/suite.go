//go:build e2enode

package e2enode

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/kubernetes/test/e2e/framework"
	e2epod "k8s.io/kubernetes/test/e2e/framework/pod"
	e2etestfiles "k8s.io/kubernetes/test/e2e/framework/testfiles"
	e2etestingmanifests "k8s.io/kubernetes/test/e2e/testing-manifests"
	"k8s.io/kubernetes/test/e2e_node/criproxy"
	e2enodetestingmanifests "k8s.io/kubernetes/test/e2e_node/testing-manifests"

	nodetest "github.com/node-test/node-test/suites/framework"
)

// Linked says whether upstream's node specs are in this build.
const Linked = true

// What upstream's suite file declares for the other files of the package.
// The specs that use them run only with upstream's own services or CRI
// proxy, neither of which node-test starts: e2eCriProxy stays nil (those
// specs are [Serial] or need --cri-proxy-enabled) and featureGates empty
// (its only reader starts a kubelet of its own).
var (
	e2eCriProxy  *criproxy.RemoteRuntime
	featureGates map[string]bool
)

// rootfs is where a containerized run sees the host's root, as upstream's
// node-conformance image mounts it.
const rootfs = "/rootfs"

func init() {
	// The manifests the specs read (device plugins, SR-IOV) are embedded,
	// as upstream's suite registers them.
	e2etestfiles.AddFileSource(e2etestingmanifests.GetE2ETestingManifestsFS())
	e2etestfiles.AddFileSource(e2enodetestingmanifests.GetE2ENodeTestingManifestsFS())
}

// Setup completes, in every parallel process, what upstream's suite sets up
// in its SynchronizedBeforeSuite that the specs rely on, once the
// conformance binary has set the node's name, the extra environment and the
// kubelet's root directory: the images the specs may run without pulling,
// and the kubelet's configuration (kubeletCfg, read from its /configz
// through the API server), which specs such as the mirror pod ones read.
// Upstream's system validation and image pre-pull are the runner's host
// checks and images phase.
func Setup(ctx context.Context) error {
	own := e2epod.ImagePrePullList
	updateImageAllowList(ctx)
	e2epod.ImagePrePullList = e2epod.ImagePrePullList.Union(own)
	cfg, err := getCurrentKubeletConfig(ctx)
	if err != nil {
		return fmt.Errorf("read the configuration of the kubelet of node %s from its /configz: %w", framework.TestContext.NodeName, err)
	}
	kubeletCfg = cfg
	return nil
}

// staticPodAreas are the areas of upstream's node suite whose specs write
// static pod manifests into the kubelet's staticPodPath from their own
// process.
var staticPodAreas = regexp.MustCompile(`^\[sig-node\] MirrorPod`)

// SkipUnrunnable skips a spec of upstream's node suite that cannot run as
// node-test is set up, saying how to fix it: one that writes static pods
// when the kubelet's staticPodPath is not at its own path where the specs
// run (a container without -v $CONFIG_DIR:$CONFIG_DIR). A kubelet with no
// staticPodPath has static pods off: those specs do not apply to it.
func SkipUnrunnable() {
	report := ginkgo.CurrentSpecReport()
	if len(report.ContainerHierarchyLocations) == 0 || !strings.Contains(report.ContainerHierarchyLocations[0].FileName, "/conformance/e2enode/") {
		return
	}
	if !staticPodAreas.MatchString(report.FullText()) || kubeletCfg == nil {
		return
	}
	dir := kubeletCfg.StaticPodPath
	if dir == "" {
		ginkgo.Skip("the kubelet has no staticPodPath: static pods are off on this node")
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		nodetest.SkipNotRun(fmt.Sprintf("the kubelet's staticPodPath %s is not a directory where the specs run (%v)", dir, err),
			fmt.Sprintf("mount it at the same path: docker run -v %s:%s", dir, dir))
	}
}

// waitForNodeReady waits for the node under test to be Ready, as upstream's
// suite does after a spec restarted the kubelet.
func waitForNodeReady(ctx context.Context) {
	config, err := framework.LoadConfig()
	framework.ExpectNoError(err, "load the client config")
	client, err := clientset.NewForConfig(config)
	framework.ExpectNoError(err, "create a client")
	gomega.Eventually(ctx, func(ctx context.Context) error {
		node, err := client.CoreV1().Nodes().Get(ctx, framework.TestContext.NodeName, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("get node %s: %w", framework.TestContext.NodeName, err)
		}
		if !isNodeReady(node) {
			return fmt.Errorf("node %s is not Ready: %v", node.Name, node.Status.Conditions)
		}
		return nil
	}, 2*time.Minute, time.Second).Should(gomega.Succeed())
}
