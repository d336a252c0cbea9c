package framework

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/version"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/component-base/featuregate"
	"k8s.io/kubernetes/pkg/features"
)

func TestTooNewFor(t *testing.T) {
	features := map[featuregate.Feature]featuregate.VersionedSpecs{
		// As ContainerRestartRules: alpha in v1.34, on by default from v1.35.
		"Rules": {
			{Version: version.MajorMinor(1, 34), Default: false, PreRelease: featuregate.Alpha},
			{Version: version.MajorMinor(1, 35), Default: true, PreRelease: featuregate.Beta},
		},
		// Introduced in v1.36, on by default at once.
		"Fresh": {{Version: version.MajorMinor(1, 36), Default: true, PreRelease: featuregate.Beta}},
		// On by default since long ago.
		"Old": {
			{Version: version.MajorMinor(1, 20), Default: false, PreRelease: featuregate.Alpha},
			{Version: version.MajorMinor(1, 22), Default: true, PreRelease: featuregate.Beta},
		},
		// Off in the binary too: its specs are not expected to run at all.
		"Alpha": {{Version: version.MajorMinor(1, 33), Default: false, PreRelease: featuregate.Alpha}},
		// Alpha in v1.37 too, but turned on in the binary by --feature-gates:
		// whoever did so expects the kubelet to have it on.
		"Asked": {{Version: version.MajorMinor(1, 36), Default: false, PreRelease: featuregate.Alpha}},
	}
	enabled := func(f featuregate.Feature) bool { return f != "Alpha" }
	binary := version.MustParseGeneric("v1.37.2")
	hostname := "[sig-node] Override hostname of Pod a pod with only hostnameOverride field will have hostnameOverride as hostname [NodeConformance]"
	pods := "[sig-node] Pods should get a host IP [NodeConformance] [Conformance]"
	hostnameValidation := "[sig-node] Override hostname of Pod a pod with hostNetwork and hostnameOverride fields will fail to be created [NodeConformance]"
	imageVolume := "[sig-node] ImageVolume should succeed with pod and pull policy of Always [LinuxOnly] [MinimumKubeletVersion:1.35] [Conformance]"
	for _, tc := range []struct {
		spec    string
		labels  []string
		kubelet string
		gates   map[featuregate.Feature]bool // nil: not reported
		want    string                       // "" when the spec runs
	}{
		{pods, []string{"NodeConformance", "Conformance"}, "v1.34.4", nil, ""},
		{hostname, []string{"NodeConformance"}, "v1.34.4", nil, "needs a kubelet v1.35 or newer, and the node's is 1.34.4: pod.spec.hostnameOverride"},
		{hostname, []string{"NodeConformance"}, "v1.34.0-rc.1", nil, "needs a kubelet v1.35 or newer"},
		{hostname, []string{"NodeConformance"}, "v1.35.0-rc.0", nil, ""},
		{hostname, []string{"NodeConformance"}, "v1.37.2", nil, ""},
		{hostnameValidation, []string{"NodeConformance"}, "v1.34.4", nil, ""},
		{imageVolume, []string{"Conformance"}, "v1.34.4", nil, "needs a kubelet v1.35 or newer (its minimum kubelet version), and the node's is 1.34.4"},
		{imageVolume, []string{"Conformance"}, "v1.35.0", nil, ""},
		{pods, []string{"FeatureGate:Rules", "Beta"}, "v1.34.4", nil, "needs a kubelet v1.35 or newer, and the node's is 1.34.4: feature gate Rules is off by default in its release"},
		{pods, []string{"FeatureGate:Rules", "Beta"}, "v1.35.1", nil, ""},
		{pods, []string{"FeatureGate:Fresh"}, "v1.35.9", nil, "needs a kubelet v1.36 or newer"},
		{pods, []string{"FeatureGate:Fresh"}, "v1.36.0", nil, ""},
		{pods, []string{"FeatureGate:Old"}, "v1.34.4", nil, ""},
		{pods, []string{"FeatureGate:Alpha"}, "v1.34.4", nil, ""},
		{pods, []string{"FeatureGate:Asked"}, "v1.34.4", nil, ""},
		{pods, []string{"FeatureGate:Asked"}, "v1.37.2", nil, ""},
		{pods, []string{"FeatureGate:Unknown"}, "v1.34.4", nil, ""},
		{pods, []string{"KubeletMinVersion:1.36"}, "v1.35.3", nil, "needs a kubelet v1.36 or newer (its minimum kubelet version), and the node's is 1.35.3"},
		{pods, []string{"KubeletMinVersion:1.36.2"}, "v1.36.0", nil, ""},
		{pods, []string{"KubeletMinVersion:1.36"}, "v1.37.2", nil, ""},
		// A kubelet that reports its gates: what it has on runs, whatever
		// its release's defaults; what it has off skips.
		{pods, []string{"FeatureGate:Rules"}, "v1.34.4", map[featuregate.Feature]bool{"Rules": true}, ""},
		{pods, []string{"FeatureGate:Rules"}, "v1.34.4", map[featuregate.Feature]bool{"Rules": false}, "needs a kubelet v1.35 or newer, and the node's is 1.34.4: feature gate Rules is off by default in its release, and the kubelet leaves it off"},
		{pods, []string{"FeatureGate:Rules"}, "v1.35.1", map[featuregate.Feature]bool{"Rules": false}, "needs feature gate Rules on in the node's kubelet (1.35.1), which has it off"},
		{pods, []string{"FeatureGate:Old"}, "v1.37.2", map[featuregate.Feature]bool{"Old": false}, "needs feature gate Old on in the node's kubelet"},
		{pods, []string{"FeatureGate:Asked"}, "v1.37.2", map[featuregate.Feature]bool{"Asked": false}, "needs feature gate Asked on in the node's kubelet (1.37.2), which has it off"},
		{pods, []string{"FeatureGate:Asked"}, "v1.36.0", map[featuregate.Feature]bool{"Asked": true}, ""},
		{pods, []string{"FeatureGate:Alpha"}, "v1.37.2", map[featuregate.Feature]bool{"Alpha": false}, ""},
		// A gate the kubelet does not report: its release's defaults decide.
		{pods, []string{"FeatureGate:Fresh"}, "v1.35.9", map[featuregate.Feature]bool{"Rules": true}, "needs a kubelet v1.36 or newer, and the node's is 1.35.9: feature gate Fresh is off by default in its release"},
		{pods, []string{"FeatureGate:Rules"}, "v1.35.1", map[featuregate.Feature]bool{}, ""},
		// An untagged requirement is met by an older kubelet with its gate on.
		{hostname, []string{"NodeConformance"}, "v1.34.4", map[featuregate.Feature]bool{"HostnameOverride": true}, ""},
		{hostname, []string{"NodeConformance"}, "v1.34.4", map[featuregate.Feature]bool{"HostnameOverride": false}, "needs a kubelet v1.35 or newer"},
	} {
		got := TooNewFor(tc.spec, tc.labels, Kubelet{version.MustParseGeneric(tc.kubelet), tc.gates}, binary, features, enabled)
		if tc.want == "" && got != "" || !strings.HasPrefix(got, tc.want) {
			t.Errorf("kubelet %s, labels %v, spec %q:\n got %q\nwant %q", tc.kubelet, tc.labels, tc.spec, got, tc.want)
		}
	}
}

// The pinned release's own feature defaults: ContainerRestartRules, whose
// specs a v1.34 kubelet failed, is alpha there and on by default from v1.35.
func TestTooNewForWithThePinnedFeatures(t *testing.T) {
	spec := "[sig-node] Pod Extended (container restart policy) [NodeConformance] [FeatureGate:ContainerRestartRules] [Beta] Container Restart Rules should restart container on rule match"
	labels := []string{"NodeConformance", "FeatureGate:" + string(features.ContainerRestartRules), "Beta"}
	gates := utilfeature.DefaultMutableFeatureGate
	binary := gates.EmulationVersion()
	if binary.Major() != 1 || binary.Minor() != 37 {
		t.Fatalf("the linked feature gates emulate v%s, not the pinned release", binary)
	}
	all, enabled := gates.GetAllVersioned(), utilfeature.DefaultFeatureGate.Enabled
	if got := TooNewFor(spec, labels, Kubelet{Version: version.MustParseGeneric("v1.34.4")}, binary, all, enabled); !strings.HasPrefix(got, "needs a kubelet v1.35 or newer") {
		t.Errorf("v1.34.4: %q", got)
	}
	for _, v := range []string{"v1.35.0", "v1.36.3", "v1.37.2"} {
		if got := TooNewFor(spec, labels, Kubelet{Version: version.MustParseGeneric(v)}, binary, all, enabled); got != "" {
			t.Errorf("%s: %q", v, got)
		}
	}
}

// The seven hostname override specs of the pinned release: a v1.34 kubelet
// failed the four that look at the pod's hostname and passed the three of
// the API's validation.
func TestHostnameOverrideSpecsOnV134(t *testing.T) {
	v134 := version.MustParseGeneric("v1.34.4")
	for text, tooNew := range map[string]bool{
		"a pod has hostnameOverride field with value that is a valid DNS subdomain.":                 true,
		"a pod with hostname and hostnameOverride fields will have hostnameOverride as hostname":     true,
		"a pod with only hostnameOverride field will have hostnameOverride as hostname":              true,
		"a pod with subdomain and hostnameOverride fields will have hostnameOverride as hostname":    true,
		"a pod with setHostnameAsFQDN and hostnameOverride fields will fail to be created":           false,
		"a pod with hostNetwork and hostnameOverride fields will fail to be created":                 false,
		"a pod with non-RFC1123 subdomain string for hostnameOverride field will fail to be created": false,
	} {
		spec := "[sig-node] Override hostname of Pod " + text + " [NodeConformance]"
		if got := TooNewFor(spec, []string{"NodeConformance"}, Kubelet{Version: v134}, v134, nil, nil); (got != "") != tooNew {
			t.Errorf("%q: %q, want too new: %v", text, got, tooNew)
		}
	}
}

func TestKubeletRequirementsAreWithinTheSkewPolicy(t *testing.T) {
	// Kubelets older than v1.34 are refused by the runner, and a kubelet of
	// the pinned release (v1.37) has everything.
	for _, r := range KubeletRequirements {
		if r.Since.Major() != 1 || r.Since.Minor() < 35 || r.Since.Minor() > 37 {
			t.Errorf("%s: since v%d.%d, outside v1.35–v1.37", r.Specs, r.Since.Major(), r.Since.Minor())
		}
		if !strings.Contains(r.What, "older kubelet") {
			t.Errorf("%s: What does not say how an older kubelet fails: %q", r.Specs, r.What)
		}
	}
}

func TestParseKubeletVersion(t *testing.T) {
	if v, err := parseKubeletVersion("v1.34.4"); err != nil || v.String() != "1.34.4" {
		t.Errorf("v1.34.4: %v %v", v, err)
	}
	if _, err := parseKubeletVersion(""); err == nil || !strings.Contains(err.Error(), `kubelet version ""`) {
		t.Errorf("empty version: %v", err)
	}
}

func TestParseFeatureGates(t *testing.T) {
	metrics := `# HELP kubelet_running_pods [ALPHA] Number of pods that have a running pod sandbox
# TYPE kubelet_running_pods gauge
kubelet_running_pods 3
# HELP kubernetes_feature_enabled [BETA] This metric records the data about the stage and enablement of a k8s feature.
# TYPE kubernetes_feature_enabled gauge
kubernetes_feature_enabled{name="ContainerRestartRules",stage="ALPHA"} 1
kubernetes_feature_enabled{name="HostnameOverride",stage="ALPHA"} 0
kubernetes_feature_enabled{name="PodReadyToStartContainersCondition",stage=""} 1
`
	gates, err := ParseFeatureGates([]byte(metrics))
	if err != nil {
		t.Fatal(err)
	}
	want := map[featuregate.Feature]bool{"ContainerRestartRules": true, "HostnameOverride": false, "PodReadyToStartContainersCondition": true}
	if len(gates) != len(want) {
		t.Errorf("got %v, want %v", gates, want)
	}
	for f, on := range want {
		if got, ok := gates[f]; !ok || got != on {
			t.Errorf("%s: got %v (reported: %v), want %v", f, got, ok, on)
		}
	}
	if _, err := ParseFeatureGates([]byte("kubelet_running_pods 3\n")); err == nil || !strings.Contains(err.Error(), "no kubernetes_feature_enabled") {
		t.Errorf("metrics without feature gates: %v", err)
	}
}
