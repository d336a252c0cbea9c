package validate

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/version"
)

// maxKubeletSkew is how many minor releases a kubelet may be older than its
// API server, per Kubernetes' version skew policy
// (https://kubernetes.io/releases/version-skew-policy/#kubelet). A kubelet
// newer than its API server is not supported at all.
const maxKubeletSkew = 3

// CheckKubeletVersion checks the version the node's kubelet reports
// (its Node's status.nodeInfo.kubeletVersion) against controlPlane, the
// Kubernetes release of node-test's control plane and specs: a kubelet up
// to three minor releases older, and none newer, is supported.
func CheckKubeletVersion(kubelet, controlPlane string) Check {
	c := Check{Area: AreaKubelet, Name: "version skew"}
	cp, err := version.ParseGeneric(controlPlane)
	if err != nil {
		c.Verdict, c.Message = Fail, fmt.Sprintf("node-test's Kubernetes version %q cannot be parsed: %v", controlPlane, err)
		c.Fix = "use a node-test built from a release: its Kubernetes version is a release's, like v1.37.2"
		return c
	}
	oldest := fmt.Sprintf("v%d.%d", cp.Major(), cp.Minor()-maxKubeletSkew)
	newest := fmt.Sprintf("v%d.%d", cp.Major(), cp.Minor())
	supported := fmt.Sprintf("node-test %s certifies kubelets %s to %s", controlPlane, oldest, newest)
	kv, err := version.ParseGeneric(kubelet)
	if err != nil {
		c.Verdict = Fail
		c.Message = fmt.Sprintf("the node reports kubelet version %q, which cannot be parsed: %v", kubelet, err)
		c.Fix = "run a kubelet built from a Kubernetes release; " + supported
		return c
	}
	switch {
	case kv.Major() != cp.Major() || kv.Minor() > cp.Minor():
		c.Verdict = Fail
		c.Message = fmt.Sprintf("kubelet %s is newer than node-test's control plane %s: the version skew policy never supports a kubelet newer than its API server", kubelet, controlPlane)
		c.Fix = fmt.Sprintf("use the node-test release for Kubernetes v%d.%d; %s", kv.Major(), kv.Minor(), supported)
	case kv.Minor()+maxKubeletSkew < cp.Minor():
		c.Verdict = Fail
		c.Message = fmt.Sprintf("kubelet %s is more than %d minor releases older than node-test's control plane %s, outside the version skew policy", kubelet, maxKubeletSkew, controlPlane)
		c.Fix = fmt.Sprintf("use the node-test release for Kubernetes v%d.%d, or upgrade the kubelet; %s", kv.Major(), kv.Minor(), supported)
	default:
		c.Verdict, c.Message = Pass, fmt.Sprintf("kubelet %s; %s", kubelet, supported)
	}
	return c
}
