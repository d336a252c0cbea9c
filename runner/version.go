package runner

// Set at link time by build/build.sh.
var (
	// Version is node-test's release.
	Version = "v0.1.0-dev"
	// GitCommit is the commit node-test was built from.
	GitCommit = "unknown"
)

// KubernetesVersion is the release of k8s.io/kubernetes go.mod pins: the
// specs and the control plane node-test carries.
const KubernetesVersion = "v1.37.2"

// Build is node-test's version and commit, as the version command, the
// log and the summary show them.
func Build() string {
	return Version + " (commit " + GitCommit + ")"
}
