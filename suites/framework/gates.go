package framework

import (
	"fmt"

	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/component-base/featuregate"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
	e2eskipper "k8s.io/kubernetes/test/e2e/framework/skipper"
)

// initFeatureGates turns on the framework's feature gate checks
// (e2eskipper.SkipUnlessFeatureGateEnabled, which upstream's node suite
// calls) with the gates of the node's kubelet: upstream's suite gives them
// the gates it starts its own kubelet with; node-test's kubelet is the
// node's. See KubeletGates.
func initFeatureGates(kubelet map[featuregate.Feature]bool) error {
	overrides, err := KubeletGates(utilfeature.DefaultFeatureGate.DeepCopy(), kubelet)
	if err != nil {
		// The checks then follow this release's defaults, as without a
		// kubelet's gates: a spec they let run on a kubelet without the
		// feature fails, naming what it lacks.
		e2eframework.Logf("the framework's feature gates follow the defaults of this release, not the kubelet's: %v", err)
		overrides = nil
	}
	if err := e2eskipper.InitFeatureGates(utilfeature.DefaultFeatureGate, overrides); err != nil {
		return fmt.Errorf("set the framework's feature gates: %w", err)
	}
	return nil
}

// KubeletGates returns the overrides of gates that make the binary's gates
// those a kubelet reports: each gate the binary knows and may set whose
// value differs from its default. A kubelet of an older release may report
// off a gate that a feature on by default here depends on: that feature is
// then off too, as it cannot work without it. It fails if the binary's
// gates refuse the result.
func KubeletGates(gates featuregate.MutableVersionedFeatureGate, kubelet map[featuregate.Feature]bool) (map[string]bool, error) {
	known := gates.GetAll()
	overrides := map[string]bool{}
	for f, on := range kubelet {
		spec, ok := known[f]
		if !ok || spec.LockToDefault || gates.Enabled(f) == on {
			continue
		}
		overrides[string(f)] = on
	}
	if deps, ok := gates.(interface {
		Dependencies() map[featuregate.Feature][]featuregate.Feature
	}); ok {
		enabled := func(f featuregate.Feature) bool {
			if on, set := overrides[string(f)]; set {
				return on
			}
			return gates.Enabled(f)
		}
		for changed := true; changed; {
			changed = false
			for f, needs := range deps.Dependencies() {
				for _, d := range needs {
					if enabled(f) && !enabled(d) && !known[f].LockToDefault {
						overrides[string(f)] = false
						changed = true
					}
				}
			}
		}
	}
	if err := gates.SetFromMap(overrides); err != nil {
		return nil, err
	}
	return overrides, nil
}
