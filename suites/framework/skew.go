package framework

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/onsi/ginkgo/v2"
	"k8s.io/apimachinery/pkg/util/version"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/component-base/featuregate"
)

// kubeletVersion is the version the node's kubelet reports, set by
// SetupNode in every process.
var kubeletVersion *version.Version

func setKubeletVersion(v string) error {
	parsed, err := version.ParseGeneric(v)
	if err != nil {
		return fmt.Errorf("the node's kubelet version %q: %w", v, err)
	}
	kubeletVersion = parsed
	return nil
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
	// What is the behaviour, and how an older kubelet fails it.
	What string
}

// KubeletRequirements are the untagged requirements of the linked specs,
// found by running them against kubelets of each supported release.
var KubeletRequirements = []KubeletRequirement{
	{
		// The specs of a pod's hostname; those of the API's validation pass.
		Specs: regexp.MustCompile(`\[sig-node\] Override hostname of Pod .*(hostnameOverride field with value that is a valid DNS subdomain|will have hostnameOverride as hostname)`),
		Since: version.MajorMinor(1, 35),
		What: "pod.spec.hostnameOverride (feature HostnameOverride, KEP-4762, on by default from v1.35): " +
			"an older kubelet ignores the field and the pod keeps its own name as hostname",
	},
}

// TooNewFor says why a spec cannot pass on a kubelet of version kubelet
// that the version skew policy supports, or returns "". A spec is too new
// when
//   - it is labelled KubeletMinVersion:<v> (upstream's WithKubeletMinVersion),
//     or its text says [MinimumKubeletVersion:<v>], above the kubelet's
//     release;
//   - it is labelled FeatureGate:<name> for a feature enabled in this binary
//     and on by default in its release, binary, but off by default in the
//     kubelet's (features lists each feature's defaults by release; a
//     kubelet that turns such a feature on itself is not seen, and its specs
//     skip all the same; a feature turned on in this binary by --feature-gates
//     only is left to the kubelet to have);
//   - it matches one of KubeletRequirements above the kubelet's release.
func TooNewFor(spec string, labels []string, kubelet, binary *version.Version, features map[featuregate.Feature]featuregate.VersionedSpecs, enabled func(featuregate.Feature) bool) string {
	release := version.MajorMinor(kubelet.Major(), kubelet.Minor())
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
				return fmt.Sprintf("needs a kubelet v%d.%d or newer (its minimum kubelet version), and the node's is %s", min.Major(), min.Minor(), kubelet)
			}
		case "FeatureGate":
			f := featuregate.Feature(value)
			specs, known := features[f]
			if !known || !enabled(f) {
				continue
			}
			if on, _ := defaultAt(specs, binaryRelease); !on {
				continue
			}
			if on, since := defaultAt(specs, release); !on {
				return fmt.Sprintf("needs a kubelet v%s or newer, and the node's is %s: feature gate %s is off by default in its release", since, kubelet, f)
			}
		}
	}
	for _, r := range KubeletRequirements {
		if r.Specs.MatchString(spec) && release.LessThan(r.Since) {
			return fmt.Sprintf("needs a kubelet v%d.%d or newer, and the node's is %s: %s", r.Since.Major(), r.Since.Minor(), kubelet, r.What)
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
	if kubeletVersion == nil {
		return
	}
	report := ginkgo.CurrentSpecReport()
	gates := utilfeature.DefaultMutableFeatureGate
	if why := TooNewFor(report.FullText(), report.Labels(), kubeletVersion, gates.EmulationVersion(),
		gates.GetAllVersioned(), utilfeature.DefaultFeatureGate.Enabled); why != "" {
		ginkgo.Skip(why)
	}
}
