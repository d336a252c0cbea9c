package app

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/node-test/node-test/runner"
)

func newVersionCommand(streams Streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print node-test's version and the Kubernetes release it certifies against",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(streams.Out, "node-test %s\nkubernetes %s\n%s %s/%s\n",
				runner.Build(), runner.KubernetesVersion, runtime.Version(), runtime.GOOS, archName())
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
