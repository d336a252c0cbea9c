package framework

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	clientset "k8s.io/client-go/kubernetes"
	"k8s.io/component-base/featuregate"
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

// NodeFacts is what the specs learn of the node under test before they
// start: fetched once, in the first Ginkgo process (FetchNodeFacts), and
// handed to every process (SetupNode), which then all see the same.
type NodeFacts struct {
	// Name is the node's name.
	Name string `json:"name"`
	// KubeletVersion is the version the kubelet reports in the Node's status.
	KubeletVersion string `json:"kubeletVersion"`
	// Gates are the kubelet's feature gates as it reports them; nil when
	// its /metrics could not be read.
	Gates map[featuregate.Feature]bool `json:"gates,omitempty"`
}

// FetchNodeFacts finds the node under test (--node-name, else the only
// node) and reads its kubelet's version and feature gates, for SetupNode.
func FetchNodeFacts(ctx context.Context) ([]byte, error) {
	c, err := NewClient()
	if err != nil {
		return nil, err
	}
	var node *v1.Node
	if name := e2eframework.TestContext.NodeName; name != "" {
		if node, err = c.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{}); err != nil {
			return nil, fmt.Errorf("get node %s: %w", name, err)
		}
	} else {
		nodes, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("list nodes: %w", err)
		}
		if len(nodes.Items) != 1 {
			return nil, fmt.Errorf("found %d nodes: give the one under test with --node-name", len(nodes.Items))
		}
		node = &nodes.Items[0]
	}
	facts := NodeFacts{Name: node.Name, KubeletVersion: node.Status.NodeInfo.KubeletVersion}
	metrics, err := KubeletGet(ctx, c, node.Name, "metrics")
	if err == nil {
		facts.Gates, err = ParseFeatureGates(metrics)
	}
	if err != nil {
		e2eframework.Logf("the feature gates of the node's kubelet are not known, the defaults of its release stand for them: %v", err)
	}
	return json.Marshal(facts)
}

// SetupNode completes the framework's TestContext for a run against one
// node, in every parallel process, the way upstream's node suite does: extra
// environment, the image allow-list, the kubelet root directory; and, from
// the facts FetchNodeFacts returned, the node's name and what the specs
// need to know of its kubelet: its version and feature gates, which the
// framework's feature gate checks then follow.
func SetupNode(facts []byte) error {
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
	var f NodeFacts
	if err := json.Unmarshal(facts, &f); err != nil {
		return fmt.Errorf("decode the node's facts: %w", err)
	}
	if f.Name == "" {
		return fmt.Errorf("the node's facts name no node: %.200s", facts)
	}
	v, err := parseKubeletVersion(f.KubeletVersion)
	if err != nil {
		return err
	}
	tc.NodeName = f.Name
	nodeKubelet = Kubelet{Version: v, Gates: f.Gates}
	return initFeatureGates(f.Gates)
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
