package framework

import (
	"testing"

	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/component-base/featuregate"
	_ "k8s.io/kubernetes/pkg/features" // the kubelet's gates, as the conformance binary links them
)

// TestKubeletGatesOfAnOlderKubelet gives the gates a v1.34 kubelet reports
// (DRADeviceTaints off, on which DRADeviceTaintRules, on by default in
// v1.37, depends): they apply, the dependent feature off too, and only the
// gates that differ from this release's defaults are set.
func TestKubeletGatesOfAnOlderKubelet(t *testing.T) {
	gates := utilfeature.DefaultFeatureGate.DeepCopy()
	if !gates.Enabled("DRADeviceTaintRules") {
		t.Skip("DRADeviceTaintRules is not on by default in this release: the case this test is about is gone")
	}
	kubelet := map[featuregate.Feature]bool{
		"DRADeviceTaints":    false,
		"DRAPrioritizedList": gates.Enabled("DRAPrioritizedList"), // as the default: not set
		"NoSuchGate":         true,                                // unknown here: ignored
	}
	overrides, err := KubeletGates(gates, kubelet)
	if err != nil {
		t.Fatalf("KubeletGates = %v", err)
	}
	if on, set := overrides["DRADeviceTaints"]; !set || on {
		t.Errorf("DRADeviceTaints: %v, %v; want set off", on, set)
	}
	if on, set := overrides["DRADeviceTaintRules"]; !set || on {
		t.Errorf("DRADeviceTaintRules, which depends on DRADeviceTaints: %v, %v; want set off", on, set)
	}
	for _, name := range []string{"DRAPrioritizedList", "NoSuchGate"} {
		if _, set := overrides[name]; set {
			t.Errorf("%s is set, want it left alone", name)
		}
	}
	if gates.Enabled("DRADeviceTaintRules") {
		t.Error("the gates still have DRADeviceTaintRules on")
	}
}
