package framework

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/onsi/ginkgo/v2"
	"k8s.io/apimachinery/pkg/util/version"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/component-base/featuregate"
	"k8s.io/component-base/metrics/testutil"
)

// Kubelet is what the specs know of the node's kubelet.
type Kubelet struct {
	// Version is the version the kubelet reports in the Node's status.
	Version *version.Version
	// Gates are the kubelet's feature gates, on or off, as it reports them
	// in its kubernetes_feature_enabled metric; nil when its /metrics could
	// not be read.
	Gates map[featuregate.Feature]bool
}

// nodeKubelet is the node's kubelet, set by SetupNode in every process.
var nodeKubelet Kubelet

func parseKubeletVersion(v string) (*version.Version, error) {
	parsed, err := version.ParseGeneric(v)
	if err != nil {
		return nil, fmt.Errorf("the node's kubelet version %q: %w", v, err)
	}
	return parsed, nil
}

// featureMetric is the metric in which Kubernetes components report each
// feature gate they know as 1 (on) or 0 (off), labelled by name.
const featureMetric = "kubernetes_feature_enabled"

// ParseFeatureGates returns the feature gates a kubelet reports in its
// /metrics, the Prometheus text format.
func ParseFeatureGates(metrics []byte) (map[featuregate.Feature]bool, error) {
	parsed := testutil.NewMetrics()
	if err := testutil.ParseMetrics(string(metrics), &parsed); err != nil {
		return nil, fmt.Errorf("parse the kubelet's metrics: %w", err)
	}
	samples := parsed[featureMetric]
	if len(samples) == 0 {
		return nil, fmt.Errorf("the kubelet's metrics have no %s", featureMetric)
	}
	gates := make(map[featuregate.Feature]bool, len(samples))
	for _, s := range samples {
		gates[featuregate.Feature(s.Metric["name"])] = s.Value == 1
	}
	return gates, nil
}

// KubeletRequirement is a behaviour some linked specs test, untagged, that
// kubelets older than a release lack: a feature that went on by default in
// that release and is GA in the pinned one, whose specs dropped their
// feature gate tag.
type KubeletRequirement struct {
	// Specs matches the full text of the specs that need it.
	Specs *regexp.Regexp
	// Since is the first Kubernetes release whose kubelet has it by default.
	Since *version.Version
	// Feature is the feature gate of the behaviour: a kubelet older than
	// Since that reports it on has the behaviour.
	Feature featuregate.Feature
	// What is the behaviour, and how an older kubelet fails it.
	What string
}

// KubeletRequirements are the untagged requirements of the linked specs,
// found by running them against kubelets of each supported release.
var KubeletRequirements = []KubeletRequirement{
	{
		// The specs of a pod's hostname; those of the API's validation pass.
		Specs:   regexp.MustCompile(`\[sig-node\] Override hostname of Pod .*(hostnameOverride field with value that is a valid DNS subdomain|will have hostnameOverride as hostname)`),
		Since:   version.MajorMinor(1, 35),
		Feature: "HostnameOverride",
		What: "pod.spec.hostnameOverride (feature HostnameOverride, KEP-4762, on by default from v1.35): " +
			"an older kubelet ignores the field and the pod keeps its own name as hostname",
	},
}

// TooNewFor says why a spec cannot pass on the node's kubelet, though the
// version skew policy supports it, or returns "". A spec is too new when
//   - it is labelled KubeletMinVersion:<v> (upstream's WithKubeletMinVersion),
//     or its text says [MinimumKubeletVersion:<v>], above the kubelet's
//     release;
//   - it is labelled FeatureGate:<name> for a feature enabled in this binary
//     and the kubelet reports that gate off. When the kubelet does not
//     report its gates, or not that one, the feature defaults decide:
//     features lists each feature's defaults by release, and the spec is
//     too new if the feature is on by default in the binary's release but
//     off in the kubelet's (a feature turned on in this binary by
//     --feature-gates only is then left to the kubelet to have);
//   - it matches one of KubeletRequirements above the kubelet's release,
//     unless the kubelet reports that requirement's feature gate on.
func TooNewFor(spec string, labels []string, kubelet Kubelet, binary *version.Version, features map[featuregate.Feature]featuregate.VersionedSpecs, enabled func(featuregate.Feature) bool) string {
	release := version.MajorMinor(kubelet.Version.Major(), kubelet.Version.Minor())
	binaryRelease := version.MajorMinor(binary.Major(), binary.Minor())
	if m := minimumKubeletVersion.FindStringSubmatch(spec); m != nil {
		labels = append([]string{"KubeletMinVersion:" + m[1]}, labels...)
	}
	for _, l := range labels {
		name, value, _ := strings.Cut(l, ":")
		switch name {
		case "KubeletMinVersion":
			min, err := version.ParseGeneric(value)
			if err == nil && release.LessThan(version.MajorMinor(min.Major(), min.Minor())) {
				return fmt.Sprintf("needs a kubelet v%d.%d or newer (its minimum kubelet version), and the node's is %s", min.Major(), min.Minor(), kubelet.Version)
			}
		case "FeatureGate":
			f := featuregate.Feature(value)
			specs, known := features[f]
			if !known || !enabled(f) {
				continue
			}
			releaseOn, since := defaultAt(specs, release)
			if on, reported := kubelet.Gates[f]; reported {
				switch {
				case on:
					continue
				case !releaseOn && since != "" && release.LessThan(version.MustParseGeneric(since)):
					return fmt.Sprintf("needs a kubelet v%s or newer, and the node's is %s: feature gate %s is off by default in its release, and the kubelet leaves it off", since, kubelet.Version, f)
				default:
					return fmt.Sprintf("needs feature gate %s on in the node's kubelet (%s), which has it off", f, kubelet.Version)
				}
			}
			if on, _ := defaultAt(specs, binaryRelease); !on {
				continue
			}
			if !releaseOn {
				return fmt.Sprintf("needs a kubelet v%s or newer, and the node's is %s: feature gate %s is off by default in its release", since, kubelet.Version, f)
			}
		}
	}
	for _, r := range KubeletRequirements {
		if r.Specs.MatchString(spec) && release.LessThan(r.Since) && !kubelet.Gates[r.Feature] {
			return fmt.Sprintf("needs a kubelet v%d.%d or newer, and the node's is %s: %s", r.Since.Major(), r.Since.Minor(), kubelet.Version, r.What)
		}
	}
	return ""
}

// minimumKubeletVersion is the tag some Conformance specs carry in their
// text instead of a label.
var minimumKubeletVersion = regexp.MustCompile(`\[MinimumKubeletVersion:([0-9.]+)\]`)

// defaultAt returns whether a feature is on by default in release, and the
// first release from which it is ("" if none is).
func defaultAt(specs featuregate.VersionedSpecs, release *version.Version) (bool, string) {
	var at *featuregate.FeatureSpec
	since := ""
	for i, s := range specs {
		if s.Version == nil {
			continue
		}
		if !s.Version.GreaterThan(release) && (at == nil || !s.Version.LessThan(at.Version)) {
			at = &specs[i]
		}
		if s.Default && since == "" {
			since = fmt.Sprintf("%d.%d", s.Version.Major(), s.Version.Minor())
		}
	}
	return at != nil && at.Default, since
}

// SkipForKubeletVersion skips the current spec, saying why, when it tests
// what the node's kubelet is too old to have (see TooNewFor). The
// conformance suite runs it before every spec that uses upstream's
// framework.
func SkipForKubeletVersion() {
	if nodeKubelet.Version == nil {
		return
	}
	report := ginkgo.CurrentSpecReport()
	gates := utilfeature.DefaultMutableFeatureGate
	if why := TooNewFor(report.FullText(), report.Labels(), nodeKubelet, gates.EmulationVersion(),
		gates.GetAllVersioned(), utilfeature.DefaultFeatureGate.Enabled); why != "" {
		ginkgo.Skip(why)
	}
}
