package framework

import (
	"context"
	"fmt"
	"os"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	clientset "k8s.io/client-go/kubernetes"
	commontest "k8s.io/kubernetes/test/e2e/common"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	e2epod "k8s.io/kubernetes/test/e2e/framework/pod"
	imageutils "k8s.io/kubernetes/test/utils/image"
)

// DefaultKubeletRootDir is the kubelet's root directory unless TEST_ARGS
// gives --kubelet-root-dir.
const DefaultKubeletRootDir = "/var/lib/kubelet"

// NodeImages are the images the node is expected to hold before any spec
// starts: upstream's common pre-pull list plus the node images. Specs create
// their pods with imagePullPolicy Never for these, so nothing is pulled.
func NodeImages() sets.Set[string] {
	s := sets.New(commontest.PrePulledImages.UnsortedList()...)
	s.Insert(
		imageutils.GetPauseImageName(),
		imageutils.GetE2EImage(imageutils.Nonewprivs),
		imageutils.GetE2EImage(imageutils.Perl),
	)
	return s
}

// SetupNode completes the framework's TestContext for a run against one
// node, in every parallel process, the way upstream's node suite does: extra
// environment, the image allow-list, the kubelet root directory and the
// node's name from the API server; and what the specs need to know of the
// node's kubelet: its version and feature gates.
func SetupNode(ctx context.Context) error {
	tc := &e2eframework.TestContext
	for k, v := range tc.ExtraEnvs {
		if err := os.Setenv(k, v); err != nil {
			return fmt.Errorf("set extra env %s: %w", k, err)
		}
	}
	e2epod.ImagePrePullList = sets.NewString(sets.List(NodeImages())...)
	e2epod.GlobalOwnerTracking = true
	commontest.CurrentSuite = commontest.NodeE2E
	if tc.KubeletRootDir == "" {
		tc.KubeletRootDir = DefaultKubeletRootDir
	}
	c, err := NewClient()
	if err != nil {
		return err
	}
	var node *v1.Node
	if tc.NodeName != "" {
		if node, err = c.CoreV1().Nodes().Get(ctx, tc.NodeName, metav1.GetOptions{}); err != nil {
			return fmt.Errorf("get node %s: %w", tc.NodeName, err)
		}
	} else {
		nodes, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return fmt.Errorf("list nodes: %w", err)
		}
		if len(nodes.Items) != 1 {
			return fmt.Errorf("found %d nodes: give the one under test with --node-name", len(nodes.Items))
		}
		node = &nodes.Items[0]
		tc.NodeName = node.Name
	}
	v, err := parseKubeletVersion(node.Status.NodeInfo.KubeletVersion)
	if err != nil {
		return err
	}
	nodeKubelet = Kubelet{Version: v}
	metrics, err := KubeletGet(ctx, c, node.Name, "metrics")
	if err == nil {
		nodeKubelet.Gates, err = ParseFeatureGates(metrics)
	}
	if err != nil {
		e2eframework.Logf("the feature gates of the node's kubelet are not known, the defaults of its release stand for them: %v", err)
	}
	return nil
}

// NewClient returns a client of the API server the specs run against.
func NewClient() (clientset.Interface, error) {
	config, err := e2eframework.LoadConfig()
	if err != nil {
		return nil, fmt.Errorf("load client config: %w", err)
	}
	c, err := clientset.NewForConfig(config)
	if err != nil {
		return nil, fmt.Errorf("create client: %w", err)
	}
	return c, nil
}
