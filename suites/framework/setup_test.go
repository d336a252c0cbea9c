package framework

import (
	"encoding/json"
	"strings"
	"testing"

	"k8s.io/component-base/featuregate"
	e2eframework "k8s.io/kubernetes/test/e2e/framework"
)

// The facts the first process learns reach every process whole: the node's
// name, its kubelet's version and gates, unknown gates staying unknown.
func TestSetupNodeFromFacts(t *testing.T) {
	t.Cleanup(func() { nodeKubelet, e2eframework.TestContext.NodeName = Kubelet{}, "" })
	for name, tc := range map[string]struct {
		facts     NodeFacts
		wantGates map[featuregate.Feature]bool
	}{
		"gates read": {
			facts:     NodeFacts{Name: "node-a", KubeletVersion: "v1.34.4", Gates: map[featuregate.Feature]bool{"HostnameOverride": true, "ImageVolume": false}},
			wantGates: map[featuregate.Feature]bool{"HostnameOverride": true, "ImageVolume": false},
		},
		"gates unknown": {facts: NodeFacts{Name: "node-b", KubeletVersion: "v1.37.2"}},
	} {
		t.Run(name, func(t *testing.T) {
			b, err := json.Marshal(tc.facts)
			if err != nil {
				t.Fatal(err)
			}
			if err := SetupNode(b); err != nil {
				t.Fatal(err)
			}
			if got := e2eframework.TestContext.NodeName; got != tc.facts.Name {
				t.Errorf("node name %q, want %q", got, tc.facts.Name)
			}
			if got := nodeKubelet.Version.String(); "v"+got != tc.facts.KubeletVersion {
				t.Errorf("kubelet version %s, want %s", got, tc.facts.KubeletVersion)
			}
			if (nodeKubelet.Gates == nil) != (tc.wantGates == nil) || len(nodeKubelet.Gates) != len(tc.wantGates) {
				t.Fatalf("gates %v, want %v", nodeKubelet.Gates, tc.wantGates)
			}
			for g, on := range tc.wantGates {
				if got, ok := nodeKubelet.Gates[g]; !ok || got != on {
					t.Errorf("gate %s: %v (known: %v), want %v", g, got, ok, on)
				}
			}
		})
	}
}

func TestSetupNodeRefusesBadFacts(t *testing.T) {
	t.Cleanup(func() { nodeKubelet, e2eframework.TestContext.NodeName = Kubelet{}, "" })
	for facts, want := range map[string]string{
		`not json`:                             "decode the node's facts",
		`{"kubeletVersion": "v1.37.2"}`:        "name no node",
		`{"name": "a", "kubeletVersion": "x"}`: `the node's kubelet version "x"`,
	} {
		if err := SetupNode([]byte(facts)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("SetupNode(%s) = %v, want an error saying %q", facts, err, want)
		}
	}
}
