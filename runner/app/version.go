package app

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at link time by build/build.sh.
var (
	version   = "v0.1.0-dev"
	gitCommit = "unknown"
)

// KubernetesVersion is the release of k8s.io/kubernetes go.mod pins: the
// specs and the control plane node-test carries.
const KubernetesVersion = "v1.37.2"

func newVersionCommand(streams Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print node-test's version and the Kubernetes release it certifies against",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(streams.Out, "node-test %s (commit %s)\nkubernetes %s\n%s %s/%s\n",
				version, gitCommit, KubernetesVersion, runtime.Version(), runtime.GOOS, archName())
			return err
		},
	}
}

// archName is the platform's arch with the arm variant spelled out.
func archName() string {
	if runtime.GOARCH != "arm" {
		return runtime.GOARCH
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "GOARM" {
				return "arm/v" + s.Value
			}
		}
	}
	return "arm"
}
