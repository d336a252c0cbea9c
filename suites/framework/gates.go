package framework

import (
	"fmt"

	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/component-base/featuregate"
	e2eskipper "k8s.io/kubernetes/test/e2e/framework/skipper"
)

// initFeatureGates turns on the framework's feature gate checks
// (e2eskipper.SkipUnlessFeatureGateEnabled, which upstream's node suite
// calls) with the gates of the node's kubelet: those it reports, over the
// defaults of the pinned release, where this binary knows the gate and may
// set it. Upstream's suite gives it the gates it starts its own kubelet
// with; node-test's kubelet is the node's.
func initFeatureGates(kubelet map[featuregate.Feature]bool) error {
	known := utilfeature.DefaultFeatureGate.DeepCopy().GetAll()
	overrides := map[string]bool{}
	for f, on := range kubelet {
		spec, ok := known[f]
		if !ok || (spec.LockToDefault && spec.Default != on) {
			continue
		}
		overrides[string(f)] = on
	}
	if err := e2eskipper.InitFeatureGates(utilfeature.DefaultFeatureGate, overrides); err != nil {
		return fmt.Errorf("set the framework's feature gates to the kubelet's: %w", err)
	}
	return nil
}
